/**
 * A vitest setup file (`setupFiles` in vitest.config.ts) that fails the test
 * during which the process saw an unhandled rejection, an uncaught exception
 * or a `MaxListenersExceededWarning`, plus helpers that check a test handed
 * back every timer and socket it opened.
 *
 * The process listeners are attached only while a test runs (from the first
 * `beforeEach` to the last `afterEach`), not once per worker: vitest reports
 * an unhandled error itself only when its own listener is the sole one, so a
 * permanent listener would silence vitest for errors between tests and after
 * the last one. Inside a test the guard takes over and names the test;
 * outside, vitest reports as it always did. vitest ignores the warning, so the
 * guard is the only one watching for it.
 *
 * @module
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach } from 'vitest';

// Kept from load time: a test may install fake timers and forget to remove them.
const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const now = performance.now.bind(performance);

/** What the guard caught: the kind of event and the error or rejection reason. */
export type Caught = {
  readonly kind: 'unhandled rejection' | 'uncaught exception' | 'MaxListenersExceededWarning';
  readonly error: unknown;
};

/** The guard's process listeners and what they have caught since the last {@link GuardCollector.take}. */
export type GuardCollector = {
  /** The `'unhandledRejection'` listener. */
  readonly onRejection: (reason: unknown) => void;
  /** The `'uncaughtException'` listener. */
  readonly onException: (error: unknown) => void;
  /** The `'warning'` listener: keeps `MaxListenersExceededWarning`, ignores every other warning. */
  readonly onWarning: (warning: Error) => void;
  /** Returns what was caught so far and forgets it. */
  readonly take: () => Caught[];
};

/**
 * Creates the collector behind the guard; exported so its tests can feed it
 * directly instead of provoking real unhandled errors, which would fail the run.
 */
export function createCollector(): GuardCollector {
  let caught: Caught[] = [];
  return {
    onRejection: (reason) => caught.push({ kind: 'unhandled rejection', error: reason }),
    onException: (error) => caught.push({ kind: 'uncaught exception', error }),
    onWarning: (warning) => {
      if (warning.name === 'MaxListenersExceededWarning') {
        caught.push({ kind: 'MaxListenersExceededWarning', error: warning });
      }
    },
    take: () => {
      const taken = caught;
      caught = [];
      return taken;
    },
  };
}

const STACK_LINES = 12;

/** The error that fails a test for what the guard caught; `undefined` when nothing was. */
export function guardFailure(caught: readonly Caught[]): Error | undefined {
  if (caught.length === 0) return undefined;
  const listed = caught.map(({ kind, error }, index) => `${index + 1}. ${kind}: ${explain(error)}`);
  return new Error(
    `The process saw ${caught.length} unhandled ${caught.length === 1 ? 'problem' : 'problems'} ` +
      `during this test (or from work an earlier test left running):\n${listed.join('\n')}`,
  );
}

// An error's stack (which starts with its name and message), cut short; any
// other rejection reason as util.inspect shows it.
function explain(error: unknown): string {
  if (error instanceof Error && error.stack !== undefined) {
    return error.stack.split('\n').slice(0, STACK_LINES).join('\n');
  }
  return inspect(error, { depth: 3 });
}

/** How many active resources (handles and requests) of each type keep the process alive. */
export type ResourceCounts = Readonly<Record<string, number>>;

/**
 * Counts `process.getActiveResourcesInfo()` by type, e.g. `{ Timeout: 2, TCPSocketWrap: 1 }`.
 *
 * @example
 * import { activeResources, expectResourcesBack } from '../support/guard.js';
 * const baseline = activeResources();
 * await client.close();
 * await expectResourcesBack(baseline);
 */
export function activeResources(): ResourceCounts {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Options of {@link expectResourcesBack}. */
export type ExpectResourcesBackOptions = {
  /**
   * How long to wait for resources to go: a destroyed socket lets go of its
   * handle a few milliseconds later, not at once.
   * @default 1000
   */
  readonly timeoutMs?: number;
};

/**
 * Resolves once no type of active resource outnumbers `baseline` (fewer is
 * fine); polls every 10 ms with the real timers, even under fake ones.
 *
 * @throws {Error} after `timeoutMs`, listing each type still above the baseline.
 */
export async function expectResourcesBack(
  baseline: ResourceCounts,
  { timeoutMs = 1_000 }: ExpectResourcesBackOptions = {},
): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const extra = extraResources(baseline, activeResources());
    if (extra.length === 0) return;
    if (now() >= deadline) {
      throw new Error(
        `Resources still active ${timeoutMs} ms later, beyond the baseline: ${extra.join(', ')}`,
      );
    }
    // Counted after the timer fired, so the poll's own Timeout is never counted.
    await new Promise((resolve) => realSetTimeout(resolve, 10));
  }
}

// `Timeout +1 (3 now, 2 before)` for each type above its baseline.
function extraResources(baseline: ResourceCounts, current: ResourceCounts): string[] {
  return Object.entries(current)
    .filter(([type, count]) => count > (baseline[type] ?? 0))
    .map(([type, count]) => {
      const before = baseline[type] ?? 0;
      return `${type} +${count - before} (${count} now, ${before} before)`;
    });
}

const collector = createCollector();
const listeners = [
  ['unhandledRejection', collector.onRejection],
  ['uncaughtException', collector.onException],
  ['warning', collector.onWarning],
] as const;
// Counted, so concurrent tests attach the listeners once and detach them after the last.
let running = 0;

beforeEach(() => {
  if (running++ === 0) for (const [event, listener] of listeners) process.on(event, listener);
});

afterEach(async () => {
  // Node reports a rejection and emits a warning only after the current
  // microtasks (the warning on the next tick): give both a turn to land.
  await new Promise((resolve) => realSetImmediate(resolve));
  if (--running === 0) for (const [event, listener] of listeners) process.off(event, listener);
  const failure = guardFailure(collector.take());
  if (failure !== undefined) throw failure;
});
