import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

type Stream = Redis['stream'];

/**
 * Sends the commands a process issues in one turn of the event loop in one
 * socket write. ioredis writes each command to the socket on its own, and
 * each write is a system call: under load that was most of a publish's CPU
 * (bench/events.ts, ADR 0022). Corking the connection's socket on the
 * turn's first command and uncorking it once the turn's synchronous work and
 * microtasks are done (`process.nextTick`) hands the kernel one `writev`
 * instead; no command waits for I/O or a timer, and the order of commands
 * is the order ioredis wrote them in.
 *
 * Only sockets of connections that are ready are corked: ioredis queues the
 * commands of a connection that is not, and writes them itself once it is.
 * On a cluster every ready node's socket is corked, since the node a command
 * goes to is ioredis's choice.
 */
export class WriteCoalescer {
  readonly #client: RedisClient;
  #corked: readonly Stream[] | undefined;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** Called before a command is handed to ioredis; cheap when the turn's sockets are already corked. */
  hold(): void {
    if (this.#corked !== undefined) return;
    const streams = readyStreams(this.#client);
    if (streams.length === 0) return;
    for (const stream of streams) stream.cork();
    this.#corked = streams;
    process.nextTick(this.#release);
  }

  // Uncorks the very sockets it corked: after a reconnect the client has new
  // ones, and uncorking an ended or replaced socket does nothing.
  readonly #release = (): void => {
    const streams = this.#corked ?? [];
    this.#corked = undefined;
    for (const stream of streams) stream.uncork();
  };
}

function readyStreams(client: RedisClient): readonly Stream[] {
  if (!(client instanceof Cluster)) {
    // Ready means connected: ioredis sets the socket before it says so.
    return client.status === 'ready' ? [client.stream] : [];
  }
  const streams: Stream[] = [];
  for (const node of client.nodes('all')) {
    // A socket ioredis is still connecting is not written to: nothing to hold.
    if (node.status === 'ready') streams.push(node.stream);
  }
  return streams;
}
