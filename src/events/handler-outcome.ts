import { isPromiseLike } from '../internal/promise-like.js';
import type { MessageHandler, PoisonVerdict, TransportMessage } from './transport.js';

/** How a handler call ended; never a rejected promise. */
export type HandlerOutcome =
  | { readonly ok: true; readonly poison: PoisonVerdict | undefined }
  | { readonly ok: false; readonly error: unknown };

/**
 * Calls `handler` and hands `settle` how it ended: at once when it finished
 * at once (returned something that is not a promise, or threw), else once
 * its promise settles. A throw counts as a rejection. Returns `undefined`
 * when `settle` has run already, else a promise that settles after it has.
 */
export function invokeHandler(
  handler: MessageHandler,
  message: TransportMessage,
  signal: AbortSignal,
  settle: (outcome: HandlerOutcome) => void,
): Promise<void> | undefined {
  let result: unknown;
  try {
    result = handler(message, signal);
  } catch (error) {
    settle({ ok: false, error });
    return undefined;
  }
  if (!isPromiseLike(result)) {
    settle(outcomeOf(result));
    return undefined;
  }
  // One `then` for the outcome and its settling: one promise per message.
  return Promise.resolve(result).then(
    (value) => {
      settle(outcomeOf(value));
    },
    (error: unknown) => {
      settle({ ok: false, error });
    },
  );
}

function outcomeOf(value: unknown): HandlerOutcome {
  return isPoisonVerdict(value) ? { ok: true, poison: value } : SUCCEEDED;
}

/** The common outcome, shared: one allocation less per message. */
const SUCCEEDED: HandlerOutcome = Object.freeze({ ok: true, poison: undefined });

function isPoisonVerdict(value: unknown): value is PoisonVerdict {
  return (
    typeof value === 'object' && value !== null && (value as { poison?: unknown }).poison === true
  );
}

/** The longest error text kept in a dead letter or a log line. */
const MAX_ERROR_CHARS = 2_000;

/**
 * An error as text for a dead letter or a log line: never an object graph,
 * never longer than 2,000 characters (a handler's error can quote a whole
 * payload, and every dead letter keeps it), never throws.
 */
export function errorText(error: unknown): string {
  const text = fullText(error);
  return text.length > MAX_ERROR_CHARS
    ? `${text.slice(0, MAX_ERROR_CHARS)}… (${text.length} characters)`
    : text;
}

function fullText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    if (typeof error === 'string') return error;
    // `undefined`, functions and symbols have no JSON.
    const json = JSON.stringify(error) as string | undefined;
    return json ?? String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
