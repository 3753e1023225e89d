import { createServer } from 'node:net';

// Below the range operating systems draw outgoing connections' local ports
// from (Linux 32768–60999, Windows and macOS 49152–65535): a port found free
// here is not taken a moment later by some client's connect(), which is what
// made ports from `listen(0)` collide under a busy test run.
const LOW = 10_000;
const HIGH = 32_767;

/**
 * A loopback TCP port that is free right now, for a server a test starts in
 * another process (which must bind it itself). Nothing holds it meanwhile:
 * another process could still take it, so pick it just before use. Ports
 * are drawn at random below the ephemeral range, so clients' own connections
 * never take them.
 *
 * @example
 * import { freePort } from 'switchboard/testing';
 * const port = await freePort();
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canBind(port)) return port;
  }
  return ephemeralPort();
}

/** `count` distinct free ports; see {@link freePort}. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
