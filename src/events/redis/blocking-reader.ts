import { delay } from '../../internal/abort.js';
import {
  closeConnection,
  duplicateClient,
  type RedisClient,
} from '../../internal/redis/connection.js';
import type { ReadOutage } from './read-outage.js';
import type { RedisLink } from './redis-link.js';

/**
 * A connection of a subscription's own for blocking reads (`XREAD`/
 * `XREADGROUP … BLOCK` hold their connection while they wait), which can be
 * interrupted at once: `CLIENT UNBLOCK` from the command connection, or, when
 * that cannot reach the read, dropping the connection.
 */
export class BlockingReader {
  readonly #link: RedisLink;
  readonly #client: RedisClient;
  #clientId: number | undefined;
  #reading = false;

  /**
   * @param outage - told of every dropped connection or failed reconnect, and
   *   of the connection coming back (ioredis resends a read cut off by a drop,
   *   so the read itself may never fail).
   */
  constructor(link: RedisLink, outage: ReadOutage) {
    this.#link = link;
    this.#client = duplicateClient(link.client, (error) => {
      link.noteError(error);
    });
    this.#client.on('close', () => {
      // A new connection has a new id: look it up again before the next read.
      this.#clientId = undefined;
      outage.failed();
    });
    this.#client.on('ready', () => {
      outage.succeeded();
    });
  }

  async read(command: string, args: readonly (string | number)[]): Promise<unknown> {
    this.#clientId ??= Number(await this.#client.call('CLIENT', ['ID']));
    this.#reading = true;
    try {
      return await this.#client.call(command, [...args]);
    } finally {
      this.#reading = false;
    }
  }

  /** Ends a blocked read now, and waits for `loop` (the reader's loop, told to stop) to end. */
  async interrupt(loop: Promise<void>): Promise<void> {
    // Only over a live connection: waiting for Redis here would hold stop() for commandTimeoutMs.
    if (this.#reading && this.#clientId !== undefined && this.#link.connected) {
      await this.#link
        .call('stop reading', ['CLIENT', 'UNBLOCK', this.#clientId])
        .catch(() => undefined);
    }
    const grace = new AbortController();
    const ended = await Promise.race([
      loop.then(() => true),
      delay(250, grace.signal).then(
        () => false,
        () => true,
      ),
    ]);
    grace.abort();
    // The read was resent on a new connection, say: dropping it ends the read.
    if (!ended) this.#client.disconnect();
    await loop;
  }

  close(timeoutMs: number): Promise<void> {
    return closeConnection(this.#client, timeoutMs);
  }
}
