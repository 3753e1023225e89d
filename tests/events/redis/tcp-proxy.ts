import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy to a Redis server that a test can cut and restore, as a network outage. */
export type TcpProxy = {
  readonly url: string;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  /**
   * Holds every reply from Redis for `ms` before passing it on (0: none);
   * commands still reach Redis at once, so it acts before the client hears.
   */
  delayReplies(ms: number): void;
  close(): Promise<void>;
};

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;
  let replyDelayMs = 0;
  const listen = async (): Promise<void> => {
    const next = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      // Equal delays fire in the order they were set: replies keep their order.
      upstream.on('data', (chunk: Buffer) => {
        if (replyDelayMs === 0) client.write(chunk);
        else setTimeout(() => client.write(chunk), replyDelayMs);
      });
      upstream.on('end', () => setTimeout(() => client.end(), replyDelayMs));
    });
    next.listen(port, '127.0.0.1');
    await once(next, 'listening');
    const address = next.address();
    if (address !== null && typeof address === 'object') port = address.port;
    server = next;
  };
  const cut = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing !== undefined) await new Promise((resolve) => closing.close(resolve));
  };
  await listen();
  return {
    url: `redis://127.0.0.1:${port}`,
    cut,
    restore: listen,
    delayReplies: (ms) => {
      replyDelayMs = ms;
    },
    close: cut,
  };
}
