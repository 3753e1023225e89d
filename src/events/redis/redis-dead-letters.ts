import { throwIfAborted } from '../../internal/abort.js';
import { integerOption } from '../../internal/options.js';
import type { DeadLetter, DeadLetterStore } from '../transport.js';
import { MESSAGE_ID_FIELD, PAYLOAD_FIELD, type RedisKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { parseEntries, type StreamEntry } from './stream-reply.js';

/** Entries read per `XRANGE` while listing. */
const PAGE = 200;

/**
 * The Redis transport's dead letters: one stream per topic
 * (`<prefix>:dead:{<topic>}`, every group's letters), listed oldest first.
 * A dead letter's id is `<topic>/<entry id>`.
 *
 * Redriving moves a letter to its group's redrive stream
 * (`<prefix>:redrive:{<topic>}:<group>`), which only that group reads: the
 * group gets the message again with its original id (so a dedupe store keyed
 * on it still works) and other groups never see it twice.
 */
export class RedisDeadLetters implements DeadLetterStore {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #checkOpen: (operation: string) => void;

  constructor(link: RedisLink, keys: RedisKeys, checkOpen: (operation: string) => void) {
    this.#link = link;
    this.#keys = keys;
    this.#checkOpen = checkOpen;
  }

  async list(
    options: {
      readonly group?: string;
      readonly limit?: number;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<DeadLetter[]> {
    throwIfAborted(options.signal);
    const limit = integerOption('limit', options.limit ?? 100);
    this.#checkOpen('list dead letters');
    const found: DeadLetter[] = [];
    for (const topic of await this.#topics(options.signal)) {
      found.push(...(await this.#listTopic(topic, options.group, limit, options.signal)));
    }
    // Oldest first across topics, as within each.
    found.sort((a, b) => a.failedAt - b.failedAt || compareIds(a.id, b.id));
    return found.slice(0, limit);
  }

  async redrive(
    selector: string | { readonly group: string },
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<number> {
    throwIfAborted(options.signal);
    this.#checkOpen('redrive dead letters');
    const letters =
      typeof selector === 'string'
        ? [await this.#get(selector, options.signal)].filter((letter) => letter !== undefined)
        : await this.list({ group: selector.group, limit: Number.MAX_SAFE_INTEGER, ...options });
    let count = 0;
    for (const letter of letters) {
      const { topic, entryId } = parseLetterId(letter.id);
      // Moved in one transaction: a letter is never in both places, nor in neither.
      const [, deleted] = await this.#link.multi(
        'redrive dead letters',
        [
          [
            'XADD',
            this.#keys.redrive(topic, letter.group),
            '*',
            PAYLOAD_FIELD,
            letter.payload,
            MESSAGE_ID_FIELD,
            letter.messageId,
          ],
          ['XDEL', this.#keys.deadLetters(topic), entryId],
        ],
        options.signal,
      );
      if (deleted !== 1) continue;
      count += 1;
    }
    return count;
  }

  async delete(id: string, options: { readonly signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    this.#checkOpen('delete a dead letter');
    const parsed = tryParseLetterId(id);
    if (parsed === undefined) return false;
    const deleted = await this.#link.call(
      'delete a dead letter',
      ['XDEL', this.#keys.deadLetters(parsed.topic), parsed.entryId],
      options.signal,
    );
    return deleted === 1;
  }

  async #topics(signal: AbortSignal | undefined): Promise<string[]> {
    const reply = await this.#link.call(
      'list dead letters',
      ['SMEMBERS', this.#keys.deadTopics()],
      signal,
    );
    return (reply as unknown[]).map(String).sort();
  }

  async #listTopic(
    topic: string,
    group: string | undefined,
    limit: number,
    signal: AbortSignal | undefined,
  ): Promise<DeadLetter[]> {
    const found: DeadLetter[] = [];
    let from = '-';
    while (found.length < limit) {
      const page = parseEntries(
        await this.#link.call(
          'list dead letters',
          ['XRANGE', this.#keys.deadLetters(topic), from, '+', 'COUNT', PAGE],
          signal,
        ),
      );
      for (const entry of page) {
        const letter = toDeadLetter(topic, entry);
        if (letter !== undefined && (group === undefined || letter.group === group)) {
          found.push(letter);
        }
      }
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) break;
      from = `(${last.id}`;
    }
    return found.slice(0, limit);
  }

  async #get(id: string, signal: AbortSignal | undefined): Promise<DeadLetter | undefined> {
    const parsed = tryParseLetterId(id);
    if (parsed === undefined) return undefined;
    const key = this.#keys.deadLetters(parsed.topic);
    const [entry] = parseEntries(
      await this.#link.call(
        'redrive dead letters',
        ['XRANGE', key, parsed.entryId, parsed.entryId],
        signal,
      ),
    );
    return entry === undefined ? undefined : toDeadLetter(parsed.topic, entry);
  }
}

function toDeadLetter(topic: string, entry: StreamEntry): DeadLetter | undefined {
  const fields = entry.fields;
  if (fields === null) return undefined;
  return {
    id: `${topic}/${entry.id}`,
    topic,
    group: fields.get('group') ?? '',
    messageId: fields.get('messageId') ?? '',
    payload: fields.get('payload') ?? '',
    reason: fields.get('reason') ?? '',
    error: fields.get('error') ?? '',
    deliveryCount: Number(fields.get('deliveryCount') ?? 0),
    failedAt: Number(fields.get('failedAt') ?? 0),
  };
}

function tryParseLetterId(id: string): { topic: string; entryId: string } | undefined {
  // Entry ids never contain '/', topics may.
  const slash = id.lastIndexOf('/');
  const topic = id.slice(0, slash);
  const entryId = id.slice(slash + 1);
  if (slash <= 0 || !/^\d+-\d+$/.test(entryId)) return undefined;
  return { topic, entryId };
}

function parseLetterId(id: string): { topic: string; entryId: string } {
  const parsed = tryParseLetterId(id);
  if (parsed === undefined) throw new TypeError(`Not a dead letter id: ${id}`);
  return parsed;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
