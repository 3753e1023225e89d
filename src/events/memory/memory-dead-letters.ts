import { throwIfAborted } from '../../internal/abort.js';
import { integerOption } from '../../internal/options.js';
import type { DeadLetter, DeadLetterStore } from '../transport.js';
import { DEAD_LETTER_LIMIT } from './memory-options.js';
import { settle } from '../../internal/settle.js';

/** Puts a dead letter back into the group that failed it; false when that is not possible. */
export type Redeliver = (letter: DeadLetter) => boolean;

/**
 * The memory transport's dead letters, oldest first. Redriving re-queues a
 * letter into its own group's pending messages (same message id, delivery
 * count starting again at 1), so other groups never see it twice and an
 * idempotency check keyed on the message id still works. Past
 * {@link DEAD_LETTER_LIMIT} letters the oldest are dropped.
 */
export class MemoryDeadLetters implements DeadLetterStore {
  readonly #letters = new Map<string, DeadLetter>();
  readonly #redeliver: Redeliver;
  readonly #checkOpen: (operation: string) => void;
  #lastId = 0;

  constructor(redeliver: Redeliver, checkOpen: (operation: string) => void) {
    this.#redeliver = redeliver;
    this.#checkOpen = checkOpen;
  }

  add(letter: Omit<DeadLetter, 'id' | 'failedAt'>): DeadLetter {
    const stored: DeadLetter = { ...letter, id: `dl-${++this.#lastId}`, failedAt: Date.now() };
    this.#letters.set(stored.id, stored);
    if (this.#letters.size > DEAD_LETTER_LIMIT) {
      const oldest = this.#letters.keys().next();
      if (oldest.done !== true) this.#letters.delete(oldest.value);
    }
    return stored;
  }

  list(
    options: {
      readonly group?: string;
      readonly limit?: number;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<DeadLetter[]> {
    return settle(() => {
      throwIfAborted(options.signal);
      const limit = integerOption('limit', options.limit ?? 100);
      const found: DeadLetter[] = [];
      for (const letter of this.#letters.values()) {
        if (found.length >= limit) break;
        if (options.group === undefined || letter.group === options.group) found.push(letter);
      }
      return found;
    });
  }

  redrive(
    selector: string | { readonly group: string },
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<number> {
    return settle(() => {
      throwIfAborted(options.signal);
      this.#checkOpen('redrive dead letters');
      return this.#redrive(selector);
    });
  }

  #redrive(selector: string | { readonly group: string }): number {
    let count = 0;
    for (const letter of [...this.#letters.values()]) {
      const selected =
        typeof selector === 'string' ? letter.id === selector : letter.group === selector.group;
      if (selected && this.#redeliver(letter)) {
        this.#letters.delete(letter.id);
        count += 1;
      }
    }
    return count;
  }

  delete(id: string, options: { readonly signal?: AbortSignal } = {}): Promise<boolean> {
    return settle(() => {
      throwIfAborted(options.signal);
      return this.#letters.delete(id);
    });
  }
}
