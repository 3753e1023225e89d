import { Cluster, type Command as RedisCommand } from 'ioredis';
import { abortErrorFrom, SwitchboardError, TimeoutError, TransportError } from '../../errors.js';
import {
  closeConnection,
  openConnection,
  type RedisClient,
} from '../../internal/redis/connection.js';
import { CommandFactory } from '../../internal/redis/command.js';
import { withDeadline } from '../../internal/redis/deadline.js';
import { scrubRedisError } from '../../internal/redis/scrub-error.js';
import { WriteCoalescer } from '../../internal/redis/write-coalescer.js';
import { Linked, LinkedSet } from '../../internal/linked-set.js';
import type { ResolvedRedisOptions } from './redis-options.js';

/** A command waiting for the connection: sent once it is ready, or failed once it is closed. */
type Queued = { readonly send: () => void; readonly fail: (error: Error) => void };

/** A command awaiting its reply: rejected by the sweep once overdue, or by `close()`. */
abstract class Awaiting extends Linked {
  constructor(
    readonly dueAt: number,
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super();
  }

  expire(): void {
    const { operation, timeoutMs } = this;
    this.fail(
      new TimeoutError(`Redis ${operation} took longer than ${timeoutMs} ms`, { timeoutMs }),
    );
  }

  abstract fail(error: Error): void;
}

/** A command sent on the fast path: its own ioredis promise is what the sweep rejects. */
class SentCommand extends Awaiting {
  constructor(
    dueAt: number,
    readonly command: RedisCommand,
    operation: string,
    timeoutMs: number,
  ) {
    super(dueAt, operation, timeoutMs);
  }

  fail(error: Error): void {
    // A reply arriving after this is ignored by ioredis, as after its own commandTimeout.
    this.command.reject(error);
  }
}

/** A command sent before the connection was ready: its caller's promise is what the sweep rejects. */
class DeadlineEntry extends Awaiting {
  constructor(
    dueAt: number,
    operation: string,
    timeoutMs: number,
    readonly fail: (error: Error) => void,
  ) {
    super(dueAt, operation, timeoutMs);
  }
}

/** One command of a `MULTI`: the name, then its arguments. */
export type Command = readonly [string, ...(string | number)[]];

/**
 * The transport's command connection: every command waits for the
 * connection to be ready (bounded by `commandTimeoutMs` and the caller's
 * signal) before it is written, so a command that timed out while Redis was
 * away is never sent later from ioredis's offline queue behind the caller's
 * back. Failures become typed errors: `TimeoutError`, `AbortError`, or a
 * {@link TransportError} carrying Redis's own error as `cause`.
 */
export class RedisLink {
  readonly client: RedisClient;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #writes: WriteCoalescer;
  #lastError: string | undefined;
  /** Commands waiting for the connection to be ready (see {@link RedisLink.#whenReady}). */
  readonly #queued = new Set<Queued>();
  #watching = false;
  /**
   * Commands awaiting a reply ({@link RedisLink.#send}, {@link RedisLink.#deadline}),
   * with when they are overdue.
   */
  readonly #waiting = new LinkedSet<Awaiting>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  readonly #commands: CommandFactory;

  constructor(options: ResolvedRedisOptions) {
    // ioredis resends commands cut off by a dropped connection once it is back
    // (turning that off leaves their promises pending for ever): a publish that
    // timed out mid-flight may still be stored later. At least once, never lost.
    const { client, owned } = openConnection(options.connection, (error) => {
      this.#lastError = error.message;
    });
    this.client = client;
    this.#owned = owned;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#writes = new WriteCoalescer(client);
    this.#commands = new CommandFactory(client);
  }

  get connected(): boolean {
    return this.client.status === 'ready';
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Remembers a background failure for `health()`. */
  noteError(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error);
  }

  call(operation: string, command: Command, signal?: AbortSignal): Promise<unknown> {
    return this.#send(operation, command, 'utf8', signal);
  }

  /**
   * Like {@link call}, with the reply's strings as Buffers: for commands that
   * return stream entries, whose values are checked for UTF-8 by the reader.
   */
  callBuffer(operation: string, command: Command, signal?: AbortSignal): Promise<unknown> {
    return this.#send(operation, command, null, signal);
  }

  /**
   * Runs a keyless `command` on every master: the server on a single Redis,
   * each master node on a cluster (where the client would send it to any one
   * node). The replies, in the nodes' order.
   */
  async onEveryMaster(operation: string, command: Command): Promise<unknown[]> {
    const { client } = this;
    if (!(client instanceof Cluster)) return [await this.call(operation, command)];
    const [name, ...args] = command;
    return this.#run(operation, undefined, () =>
      Promise.all(client.nodes('master').map((node) => node.call(name, args))),
    );
  }

  /** Runs `commands` atomically (`MULTI`/`EXEC`); rejects if any of them failed. */
  multi(operation: string, commands: readonly Command[], signal?: AbortSignal): Promise<unknown[]> {
    return this.#run(operation, signal, async () => {
      const replies = await this.client
        .multi(commands.map((command) => ['call', ...command]))
        .exec();
      if (replies === null) throw new Error('the transaction was aborted');
      return replies.map(([error, reply]) => {
        if (error !== null) throw error;
        return reply;
      });
    });
  }

  /** Sends `commands` in one round trip without a transaction (a cluster may route them apart). */
  pipeline(
    operation: string,
    commands: readonly Command[],
    signal?: AbortSignal,
  ): Promise<unknown[]> {
    return this.#run(operation, signal, async () => {
      const replies = await this.client
        .pipeline(commands.map((command) => ['call', ...command]))
        .exec();
      return (replies ?? []).map(([error, reply]) => {
        if (error !== null) throw error;
        return reply;
      });
    });
  }

  /**
   * Closes the connection if the link opened it. Then nothing more can
   * arrive on it: commands still waiting (for the connection, or for a reply
   * ioredis will never settle once it stops reconnecting) fail now, so no
   * caller waits for ever and no timer is left. A client the caller owns
   * keeps running, and so do the commands on it, each bounded by its
   * deadline as before.
   */
  async close(): Promise<void> {
    if (!this.#owned) return;
    await closeConnection(this.client, this.#timeoutMs);
    const closed = new Error('the connection was closed');
    const queued = [...this.#queued];
    this.#queued.clear();
    for (const entry of queued) entry.fail(closed);
    for (const entry of this.#waiting.clear()) entry.fail(closed);
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  /**
   * One command. On a ready connection without a signal (every publish and
   * acknowledgement, and a subscription's housekeeping) it is sent as ioredis's
   * `call` would send it, and the deadline sweep rejects ioredis's own
   * promise: the caller's promise is one `then` on it, not a wrapper around
   * it (two promises fewer per command; each costs a promise hook on Node 20
   * once an `AsyncLocalStorage` is in use).
   */
  #send(
    operation: string,
    [name, ...args]: Command,
    replyEncoding: 'utf8' | null,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const { client } = this;
    if (signal !== undefined || client.status !== 'ready') {
      return this.#run(operation, signal, () =>
        replyEncoding === null ? client.callBuffer(name, args) : client.call(name, args),
      );
    }
    const command = this.#commands.make(name, args, replyEncoding);
    const sent = new SentCommand(Date.now() + this.#timeoutMs, command, operation, this.#timeoutMs);
    this.#writes.hold();
    try {
      void client.sendCommand(command);
    } catch (error) {
      sent.fail(error instanceof Error ? error : new Error(String(error)));
    }
    this.#waiting.add(sent);
    this.#sweep ??= this.#startSweep();
    return command.promise.then(
      (reply: unknown) => {
        this.#waiting.delete(sent);
        return reply;
      },
      (error: unknown) => {
        this.#waiting.delete(sent);
        throw this.#typed(error, operation);
      },
    );
  }

  // Not an async function: one promise less per command.
  #run<T>(operation: string, signal: AbortSignal | undefined, send: () => Promise<T>): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(abortErrorFrom(signal));
    const queued = this.client.status === 'ready' ? undefined : this.#whenReady(send);
    let attempt: Promise<T>;
    if (queued === undefined) {
      this.#writes.hold();
      try {
        attempt = send();
      } catch (error) {
        // Whatever was thrown goes on as it is, as if the call had rejected with it.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        attempt = Promise.reject(error);
      }
    } else {
      attempt = queued.attempt;
    }
    const bounded =
      signal === undefined
        ? this.#deadline(attempt, operation)
        : withDeadline(attempt, this.#timeoutMs, `Redis ${operation}`, signal);
    return bounded.catch((error: unknown) => {
      // The caller stopped waiting: a command still waiting for the
      // connection is never written, not even once Redis is back.
      queued?.cancel();
      throw this.#typed(error, operation);
    });
  }

  /** A failure as the caller sees it: ours as they are, Redis's as a {@link TransportError}. */
  #typed(error: unknown, operation: string): Error {
    if (error instanceof SwitchboardError) return error;
    scrubRedisError(error);
    this.noteError(error);
    const message = error instanceof Error ? error.message : String(error);
    return new TransportError('redis', operation, message, { cause: error });
  }

  /**
   * Bounds `attempt` by `commandTimeoutMs` without a timer per command: one
   * sweep over the commands in flight, every quarter of the timeout (at most
   * 250 ms), rejects the overdue ones. A timer or an `AbortController` each
   * cost more CPU than the command (bench/events.ts); a timeout may fire up
   * to a sweep late. For commands sent before the connection was ready;
   * {@link RedisLink.#send} bounds the others the same way.
   */
  #deadline<T>(attempt: Promise<T>, operation: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.#timeoutMs;
      const entry = new DeadlineEntry(Date.now() + timeoutMs, operation, timeoutMs, reject);
      this.#waiting.add(entry);
      this.#sweep ??= this.#startSweep();
      attempt.then(
        (value) => {
          this.#waiting.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiting.delete(entry);
          // ioredis rejects with Errors; passed on as they are.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(error);
        },
      );
    });
  }

  #startSweep(): ReturnType<typeof setInterval> {
    const sweep = setInterval(
      () => {
        const now = Date.now();
        for (const entry of this.#waiting) {
          if (entry.dueAt > now) continue;
          this.#waiting.delete(entry);
          entry.expire();
        }
        if (this.#waiting.size === 0) {
          clearInterval(sweep);
          this.#sweep = undefined;
        }
      },
      Math.max(5, Math.min(250, this.#timeoutMs / 4)),
    );
    sweep.unref();
    return sweep;
  }

  /**
   * Sends `send` once the connection is ready. Until then the command waits
   * in {@link RedisLink.#queued}, and `cancel` drops it from there, with its
   * arguments: a flood of publishes timing out during a long outage holds
   * only those still waiting, never every one ever tried. The connection is
   * watched by one pair of listeners per outage, not one per command.
   */
  #whenReady<T>(send: () => Promise<T>): {
    readonly attempt: Promise<T>;
    readonly cancel: () => void;
  } {
    const { client } = this;
    let queued: Queued | undefined;
    const attempt = new Promise<T>((resolve, reject) => {
      queued = {
        send: () => {
          send().then(resolve, reject);
        },
        fail: reject,
      };
    });
    const entry = queued as Queued;
    if (client.status === 'end') {
      entry.fail(new Error('the connection was closed'));
      return { attempt, cancel: () => undefined };
    }
    this.#queued.add(entry);
    if (!this.#watching) this.#watchConnection();
    if (client.status === 'wait') void client.connect().catch(() => undefined);
    return {
      attempt,
      cancel: () => {
        this.#queued.delete(entry);
      },
    };
  }

  #watchConnection(): void {
    const { client } = this;
    this.#watching = true;
    const settle = (error?: Error): void => {
      client.off('ready', onReady);
      client.off('end', onEnd);
      this.#watching = false;
      const queued = [...this.#queued];
      this.#queued.clear();
      for (const entry of queued) {
        if (error === undefined) entry.send();
        else entry.fail(error);
      }
    };
    const onReady = (): void => {
      settle();
    };
    const onEnd = (): void => {
      settle(new Error('the connection was closed'));
    };
    // Not 'error': ioredis reports each failed reconnect there and goes on trying.
    client.on('ready', onReady);
    client.on('end', onEnd);
  }
}
