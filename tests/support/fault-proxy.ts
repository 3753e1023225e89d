import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Which way bytes travel: `up` is client → target, `down` is target → client. */
export type FaultDirection = 'up' | 'down';

/**
 * How the proxy treats traffic; switch at any time with {@link FaultProxy.set}.
 *
 * - `pass`: bytes and FINs flow through untouched (the default).
 * - `latency`: holds each chunk (and FIN) for `ms` before passing it on, in the
 *   `direction` given (`both` by default; `down` delays only replies, `up` only
 *   requests). Order is kept, even across a later switch to a shorter delay.
 * - `black-hole`: every socket stays open but every byte and FIN in both
 *   directions is dropped: a half-open peer that never answers, no FIN, no RST.
 * - `drop-replies`: client → target bytes are forwarded, so the target acts on
 *   them, but target → client bytes are dropped, so the client never hears.
 * - `refuse`: the listener is closed, so new connections fail with
 *   `ECONNREFUSED`; connections already open keep passing traffic. Any other
 *   mode listens again on the same port.
 *
 * The mode in force when a chunk reaches the proxy decides its fate: a dropped
 * chunk or FIN is never replayed, and a chunk already delayed is still delivered.
 */
export type FaultMode =
  | { readonly kind: 'pass' }
  | {
      readonly kind: 'latency';
      readonly ms: number;
      /** @default 'both' */
      readonly direction?: 'both' | FaultDirection;
    }
  | { readonly kind: 'black-hole' }
  | { readonly kind: 'drop-replies' }
  | { readonly kind: 'refuse' };

/** Counters since the proxy started; bytes are counted as they reach the proxy. */
export type FaultProxyStats = {
  /** Client connections accepted. */
  readonly accepted: number;
  /** Client/target connection pairs not yet fully closed. */
  readonly open: number;
  /** Bytes received from clients, forwarded or not. */
  readonly bytesUp: number;
  /** Bytes received from the target, forwarded or not. */
  readonly bytesDown: number;
  /** Of `bytesUp`, those dropped by a fault. */
  readonly droppedUp: number;
  /** Of `bytesDown`, those dropped by a fault. */
  readonly droppedDown: number;
};

/** A loopback TCP proxy in front of one target; use one per client to fault it alone. */
export type FaultProxy = {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The listening port; it stays the same across `refuse` and back. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for a Redis client; use `host`/`port` for anything else. */
  readonly url: string;
  /** The mode in force. */
  readonly mode: FaultMode;
  /**
   * Switches mode. Traffic obeys the new mode at once; the promise settles once
   * the listener matches it (closed for `refuse`, listening otherwise).
   * @throws {RangeError} when a latency `ms` is not a finite number ≥ 0.
   * @throws {Error} after `close()`, or when the port was taken while refusing.
   */
  set(mode: FaultMode): Promise<void>;
  /** Destroys every open pair with a TCP RST on both sides; resolves once all are closed. */
  resetAll(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): FaultProxyStats;
  /** Stops listening and destroys every connection; idempotent, leaves no handle or timer. */
  close(): Promise<void>;
};

/** Where the proxy connects for each client. */
export type FaultProxyTarget = {
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly port: number;
};

const HOST = '127.0.0.1';

/**
 * Starts a fault proxy on a free loopback port; each accepted client gets its
 * own connection to `target`.
 *
 * @example
 * import { startFaultProxy } from '../support/fault-proxy.js';
 * const proxy = await startFaultProxy({ port: 6379 });
 * const redis = new Redis(proxy.url);
 * await proxy.set({ kind: 'black-hole' });
 * await proxy.close();
 */
export async function startFaultProxy(target: FaultProxyTarget): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const counts = { accepted: 0, bytesUp: 0, bytesDown: 0, droppedUp: 0, droppedDown: 0 };
  let mode: FaultMode = { kind: 'pass' };
  let server: Server | undefined;
  let port = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  // Listener changes run one after another, so set() calls in a row cannot interleave.
  let transition = Promise.resolve();

  const route = (direction: FaultDirection, size: number): number | undefined => {
    const delay = delayFor(mode, direction);
    if (delay === undefined) counts[direction === 'up' ? 'droppedUp' : 'droppedDown'] += size;
    return delay;
  };

  const accept = (client: Socket): void => {
    counts.accepted++;
    const upstream = connect({ host: target.host ?? HOST, port: target.port, allowHalfOpen: true });
    const pair = new Pair(client, upstream, route, counts);
    pairs.add(pair);
    void pair.closed.then(() => pairs.delete(pair));
  };

  const reconcile = async (): Promise<void> => {
    const wanted = !closed && mode.kind !== 'refuse';
    if (wanted && server === undefined) {
      server = await listen(port, accept);
      port = (server.address() as { port: number }).port;
    } else if (!wanted && server !== undefined) {
      // The descriptor closes now, so the next connect is refused; the close
      // callback would wait for the open connections, which keep working.
      server.close();
      server = undefined;
    }
  };
  const reconcileInOrder = (): Promise<void> => {
    const next = transition.then(reconcile);
    transition = next.catch(() => undefined);
    return next;
  };

  await reconcileInOrder();
  return {
    host: HOST,
    get port() {
      return port;
    },
    get url() {
      return `redis://${HOST}:${port}`;
    },
    get mode() {
      return mode;
    },
    set: async (next) => {
      if (closed) throw new Error('The fault proxy is closed');
      validate(next);
      mode = { ...next };
      await reconcileInOrder();
    },
    resetAll: async () => {
      await Promise.all([...pairs].map((pair) => pair.reset()));
    },
    stats: () => ({ ...counts, open: pairs.size }),
    close: () => {
      closed = true;
      closing ??= (async () => {
        await reconcileInOrder();
        await Promise.all([...pairs].map((pair) => pair.destroy()));
        // libuv frees a closed listener's handle late in a loop turn, after
        // setImmediate callbacks: two turns later it is gone for callers that
        // count handles (process.getActiveResourcesInfo).
        for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      })();
      return closing;
    },
  };
}

/** The delay for a chunk going `direction` under `mode`, or `undefined` to drop it. */
function delayFor(mode: FaultMode, direction: FaultDirection): number | undefined {
  switch (mode.kind) {
    case 'pass':
    case 'refuse':
      return 0;
    case 'latency':
      return (mode.direction ?? 'both') === 'both' || mode.direction === direction ? mode.ms : 0;
    case 'black-hole':
      return undefined;
    case 'drop-replies':
      return direction === 'up' ? 0 : undefined;
  }
}

function validate(mode: FaultMode): void {
  if (mode.kind === 'latency' && !(Number.isFinite(mode.ms) && mode.ms >= 0)) {
    throw new RangeError(`latency ms must be a finite number >= 0, got ${String(mode.ms)}`);
  }
}

async function listen(port: number, accept: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, accept);
  const failed = once(server, 'error').then(([error]: unknown[]) => {
    throw new Error(`The fault proxy could not listen on ${HOST}:${port}`, { cause: error });
  });
  server.listen(port, HOST);
  try {
    await Promise.race([once(server, 'listening'), failed]);
  } finally {
    // Accept errors (EMFILE) after this must not crash the test run.
    server.on('error', () => undefined);
  }
  return server;
}

type Route = (direction: FaultDirection, size: number) => number | undefined;
type Counts = { bytesUp: number; bytesDown: number };

/** One client socket and its own upstream socket, with an ordered lane each way. */
class Pair {
  readonly closed: Promise<void>;
  readonly #sockets: readonly [Socket, Socket];
  readonly #lanes: readonly [Lane, Lane];

  constructor(client: Socket, upstream: Socket, route: Route, counts: Counts) {
    this.#sockets = [client, upstream];
    this.#lanes = [new Lane(client, upstream), new Lane(upstream, client)];
    const wire = (source: Socket, lane: Lane, direction: FaultDirection): void => {
      // Half-open sockets let a FIN travel as one more item in the lane, in order.
      source.setNoDelay(true);
      source.on('error', () => undefined);
      source.on('data', (chunk: Buffer) => {
        counts[direction === 'up' ? 'bytesUp' : 'bytesDown'] += chunk.length;
        const delay = route(direction, chunk.length);
        if (delay !== undefined) lane.push(chunk, delay);
      });
      const finish = (): void => {
        if (lane.ended) return;
        const delay = route(direction, 0);
        if (delay !== undefined) lane.push(null, delay);
      };
      source.on('end', finish);
      source.on('close', finish);
    };
    wire(client, this.#lanes[0], 'up');
    wire(upstream, this.#lanes[1], 'down');
    this.closed = Promise.all(this.#sockets.map(closedPromise)).then(() => {
      for (const lane of this.#lanes) lane.dispose();
    });
  }

  /** Closes both sockets with an RST (a plain destroy while still connecting). */
  async reset(): Promise<void> {
    for (const socket of this.#sockets) {
      if (socket.destroyed) continue;
      if (socket.connecting) socket.destroy();
      else socket.resetAndDestroy();
    }
    await this.closed;
  }

  async destroy(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await this.closed;
  }
}

function closedPromise(socket: Socket): Promise<void> {
  // Not events.once: it would reject on the socket's 'error', which is expected here.
  return new Promise((resolve) => {
    if (socket.closed) resolve();
    else
      socket.once('close', () => {
        resolve();
      });
  });
}

/** Delivers chunks to `target` no sooner than each one's due time, never out of order. */
class Lane {
  ended = false;
  #queue: { dueAt: number; chunk: Buffer | null }[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #source: Socket;
  readonly #target: Socket;

  constructor(source: Socket, target: Socket) {
    this.#source = source;
    this.#target = target;
  }

  /** Queues `chunk` (`null`: the source's FIN) to leave after `delayMs`. */
  push(chunk: Buffer | null, delayMs: number): void {
    if (chunk === null) this.ended = true;
    this.#queue.push({ dueAt: performance.now() + delayMs, chunk });
    this.#flush();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = performance.now();
    let head = this.#queue[0];
    while (head !== undefined && head.dueAt <= now) {
      this.#queue.shift();
      this.#deliver(head.chunk);
      head = this.#queue[0];
    }
    if (head !== undefined) {
      this.#timer = setTimeout(() => {
        this.#flush();
      }, head.dueAt - now);
    }
  }

  #deliver(chunk: Buffer | null): void {
    const target = this.#target;
    if (target.destroyed || !target.writable) return;
    if (chunk === null) {
      target.end();
      return;
    }
    // Backpressure: stop reading the source until the target drains.
    if (!target.write(chunk) && !this.#source.isPaused()) {
      this.#source.pause();
      target.once('drain', () => {
        this.#source.resume();
      });
    }
  }
}
