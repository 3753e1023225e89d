import { Redis } from 'ioredis';

/**
 * Resolves with the time (epoch ms) a fresh connection to `url` first gets a
 * PONG, trying every 10 ms for at most 100 tries: the moment a restarted
 * Redis accepts work, from which a fault test times its clients' resume.
 *
 * @throws {Error} when Redis never answers.
 */
export async function firstPong(url: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = new Redis(url, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return Date.now();
    } catch {
      // Not yet: try again.
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Redis at ${url} never answered PING`);
}
