import type { FastifyInstance } from 'fastify';

/** What every example service's factory returns. */
export type ServiceHandle = {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting requests and finishes those in flight, drains the
   * service's subscribers, closes what the service owns. Idempotent.
   */
  close(): Promise<void>;
};

/** Listens on `host:port`; a taken port fails with a message that says what to do. */
export async function listen(
  app: FastifyInstance,
  port: number,
  host: string,
): Promise<{ readonly url: string; readonly port: number }> {
  try {
    await app.listen({ port, host });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new Error(`port ${port} on ${host} is already in use (set PORT, or use port 0)`, {
        cause: error,
      });
    }
    throw error;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return { url: `http://${host}:${bound}`, port: bound };
}

/** Memoises an async close so every call returns the same promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}
