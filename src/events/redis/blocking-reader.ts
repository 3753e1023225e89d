import type { Socket } from 'node:net';
import { Redis, type Command } from 'ioredis';
import { abortErrorFrom } from '../../errors.js';
import { delay } from '../../internal/abort.js';
import { CommandFactory } from '../../internal/redis/command.js';
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
  readonly #commands: CommandFactory;
  readonly #silentAfterMs: number;
  #clientId: number | undefined;
  /** The command under way (a read, or the `CLIENT ID` before it): rejected at once when a stop gives up on it. */
  #current: Command | undefined;
  /** When the command under way was sent, or its connection last connected or became ready. */
  #sentAt = 0;
  #silence: ReturnType<typeof setTimeout> | undefined;
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
    this.#commands = new CommandFactory(this.#client);
    this.#client.on('close', () => {
      // A new connection has a new id: look it up again before the next read.
      this.#clientId = undefined;
      outage.failed();
    });
    // A new connection starts its handshake on 'connect' (which goes
    // unanswered on a silent link as well), and sends the read cut off by
    // the drop again on 'ready': each restarts the silence clock.
    this.#client.on('connect', () => {
      this.#sentAt = Date.now();
    });
    this.#client.on('ready', () => {
      this.#sentAt = Date.now();
      outage.succeeded();
    });
  }

  async read(command: string, args: (string | number)[]): Promise<unknown> {
    if (this.#client instanceof Redis) {
      this.#clientId ??= Number(await this.#send('CLIENT', ['ID'], 'utf8'));
    }
    // Buffers: entry values are checked for UTF-8 when the reply is parsed.
    return this.#send(command, args, null);
  }

  /**
   * Sends one command and waits for its reply, watched for silence: the
   * `CLIENT ID` before a read (after a reconnect too) as much as the read.
   */
  async #send(name: string, args: (string | number)[], encoding: 'utf8' | null): Promise<unknown> {
    if (this.#givenUp.signal.aborted) throw abortErrorFrom(this.#givenUp.signal);
    const sent = this.#commands.make(name, args, encoding);
    this.#current = sent;
    this.#sentAt = Date.now();
    this.#watchSilence();
    try {
      void this.#client.sendCommand(sent);
      return await sent.promise;
    } catch (error) {
      throw scrubRedisError(error);
    } finally {
      this.#current = undefined;
    }
  }

  /** Ends a blocked read now, and waits for `loop` (the reader's loop, told to stop) to end. */
  async interrupt(loop: Promise<void>): Promise<void> {
    // Only over a live connection: waiting for Redis here would hold stop() for commandTimeoutMs.
    if (this.#current !== undefined && this.#clientId !== undefined && this.#link.connected) {
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
      this.#current?.reject(abortErrorFrom(this.#givenUp.signal));
    }
    await loop;
  }

  close(timeoutMs: number): Promise<void> {
    clearTimeout(this.#silence);
    this.#silence = undefined;
    return closeConnection(this.#client, timeoutMs);
  }

  /**
   * A peer that vanished without FIN or RST (a dead host, a dropped NAT
   * entry) leaves a blocking read waiting for ever: TCP only notices after
   * hours. No reply well past BLOCK means the connection is dead; dropping
   * it makes ioredis reconnect and send the read again. One timer watches
   * every read, armed again only while one is under way: a timer per read
   * cost more than the read's own bookkeeping.
   */
  #watchSilence(afterMs = this.#silentAfterMs): void {
    if (this.#silence !== undefined) return;
    this.#silence = setTimeout(() => {
      this.#silence = undefined;
      if (this.#current === undefined) return;
      // Connected ('connect': the handshake under way, or 'ready'), a peer
      // can be silent; otherwise the connection is down, and the read waits
      // for ioredis to dial again: not silence.
      const { status } = this.#client;
      if (status !== 'ready' && status !== 'connect') {
        this.#watchSilence();
        return;
      }
      const silentMs = Date.now() - this.#sentAt;
      if (silentMs < this.#silentAfterMs) {
        this.#watchSilence(this.#silentAfterMs - silentMs);
        return;
      }
      this.#link.noteError(
        new Error(`a blocking read got no reply within ${this.#silentAfterMs} ms; reconnecting`),
      );
      this.#sentAt = Date.now();
      dropConnection(this.#client, true);
      this.#watchSilence();
    }, afterMs);
    // A read's socket keeps the process alive; this timer need not.
    this.#silence.unref();
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
