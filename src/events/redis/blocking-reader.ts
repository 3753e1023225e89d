import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { delay, raceAbort } from '../../internal/abort.js';
import {
  closeConnection,
  duplicateClient,
  endConnection,
  type RedisClient,
} from '../../internal/redis/connection.js';
import { scrubRedisError } from '../../internal/redis/scrub-error.js';
import type { ReadOutage } from './read-outage.js';
import type { RedisLink } from './redis-link.js';

/**
 * A connection of a subscription's own for blocking reads (`XREAD`/
 * `XREADGROUP … BLOCK` hold their connection while they wait), which can be
 * interrupted at once: `CLIENT UNBLOCK` from the command connection, or, when
 * that cannot reach the read, dropping the connection. On a cluster it is a
 * `Cluster` of its own (ioredis routes each read to the node of its slot and
 * follows the slot on a failover); the command connection cannot tell which
 * node holds the read, so a stop drops the connection instead.
 */
export class BlockingReader {
  readonly #link: RedisLink;
  readonly #client: RedisClient;
  readonly #silentAfterMs: number;
  #clientId: number | undefined;
  #reading = false;
  /**
   * Aborted when a stop gives up on the read: a read waiting in ioredis's
   * offline queue while Redis is down is never settled by ioredis once the
   * connection is dropped, and must not hold the stop for ever.
   */
  readonly #givenUp = new AbortController();

  /**
   * @param outage - told of every dropped connection or failed reconnect, and
   *   of the connection coming back (ioredis resends a read cut off by a drop,
   *   so the read itself may never fail).
   * @param silentAfterMs - a read with no reply after this long (its BLOCK
   *   time plus the command timeout) is on a connection gone silent.
   */
  constructor(link: RedisLink, outage: ReadOutage, silentAfterMs: number) {
    this.#link = link;
    this.#silentAfterMs = silentAfterMs;
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
    if (this.#client instanceof Redis) {
      this.#clientId ??= Number(
        await raceAbort(this.#client.call('CLIENT', ['ID']), this.#givenUp.signal),
      );
    }
    this.#reading = true;
    // A peer that vanished without FIN or RST (a dead host, a dropped NAT
    // entry) leaves a blocking read waiting for ever: TCP only notices after
    // hours. No reply well past BLOCK means the connection is dead; dropping
    // it makes ioredis reconnect and send the read again.
    const silent = setTimeout(() => {
      this.#link.noteError(
        new Error(`a blocking read got no reply within ${this.#silentAfterMs} ms; reconnecting`),
      );
      dropConnection(this.#client, true);
    }, this.#silentAfterMs);
    try {
      // Buffers: entry values are checked for UTF-8 when the reply is parsed.
      return await raceAbort(this.#client.callBuffer(command, [...args]), this.#givenUp.signal);
    } catch (error) {
      throw scrubRedisError(error);
    } finally {
      clearTimeout(silent);
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
    // Without a CLIENT UNBLOCK (a cluster) nothing ends the read but the drop below.
    const waitMs = this.#clientId === undefined ? 0 : 250;
    const ended = await Promise.race([
      loop.then(() => true),
      delay(waitMs, grace.signal).then(
        () => false,
        () => true,
      ),
    ]);
    grace.abort();
    // The read was resent on a new connection, or waits for Redis to come
    // back: dropping the connection ends the first, giving up the second.
    if (!ended) {
      dropConnection(this.#client, false);
      this.#givenUp.abort();
    }
    await loop;
  }

  close(timeoutMs: number): Promise<void> {
    return closeConnection(this.#client, timeoutMs);
  }
}

/**
 * Ends a connection at once. ioredis's own `disconnect()` sends a FIN and
 * waits up to `disconnectTimeout` (2 s) for the peer's: a silent peer never
 * answers. Destroying the socket closes it now; with `reconnect`, ioredis
 * then dials again and resends the read it had in flight.
 */
function dropConnection(client: RedisClient, reconnect: boolean): void {
  if (!reconnect) endConnection(client);
  if (client instanceof Redis) (client.stream as Socket | undefined)?.destroy();
  else if (reconnect) client.disconnect(true);
}
