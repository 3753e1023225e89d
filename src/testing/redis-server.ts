import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchboardError } from '../errors.js';
import { throwIfAborted } from '../internal/abort.js';

/** Options of {@link startRedisServer}; all optional. */
export type RedisServerOptions = {
  /** Turn on the append-only file, for tests that restart Redis and expect data back. @default false */
  readonly appendOnly?: boolean;
  /** The `redis-server` binary to run. @default 'redis-server' (found on PATH) */
  readonly binary?: string;
  /** How long to wait for "Ready to accept connections". @default 10_000 */
  readonly startupTimeoutMs?: number;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  readonly args?: readonly string[];
  readonly signal?: AbortSignal;
};

/** A running `redis-server` owned by the test that started it. */
export type RedisServer = {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The process id of the current server process (it changes on restart). */
  readonly pid: number;
  /** Its private data directory, removed by {@link RedisServer.stop}. */
  readonly dir: string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills the process (SIGKILL by default, as a crash would) and starts it again on the same port and directory. */
  restart(options?: { readonly signal?: NodeJS.Signals }): Promise<void>;
};

/** `redis-server` could not be started; the message says why and how to fix it. */
export class RedisServerError extends SwitchboardError {
  override readonly name = 'RedisServerError';
  override readonly code = 'REDIS_SERVER';
}

const READY = /Ready to accept connections/;
const INSTALL_HINT =
  'Install Redis (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) ' +
  'or set REDIS_URL to a Redis server the tests may use.';

/**
 * Starts a real `redis-server` on a free loopback port with its own temporary
 * directory and no persistence (unless `appendOnly`), for tests. The process
 * is killed if the test process exits without calling `stop()`.
 *
 * @throws {@link RedisServerError} when the binary is missing or the server does not start.
 * @example
 * import { startRedisServer } from 'switchboard/testing';
 * const redis = await startRedisServer();
 * // ... connect to redis.url ...
 * await redis.stop();
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  throwIfAborted(options.signal);
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    // A free port can be taken between our probe and Redis's bind: try a few.
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      try {
        child = await launch(port, dir, options);
      } catch (error) {
        if (!(error instanceof AddressInUse) || attempt >= 5) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let current: ChildProcess = child;
  let stopped: Promise<void> | undefined;
  const killOnExit = (): void => {
    current.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid(): number {
      return current.pid ?? -1;
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        process.removeListener('exit', killOnExit);
        await terminate(current, 'SIGTERM');
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
    async restart({ signal = 'SIGKILL' } = {}): Promise<void> {
      if (stopped !== undefined)
        throw new RedisServerError('Cannot restart a stopped Redis server');
      await terminate(current, signal);
      current = await launch(port, dir, options);
    },
  };
}

class AddressInUse extends Error {}

function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', options.appendOnly === true ? 'yes' : 'no',
    '--daemonize', 'no',
    '--logfile', '',
    ...(options.args ?? []),
  ]; // prettier-ignore
  const binary = options.binary ?? 'redis-server';
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const timeoutMs = options.startupTimeoutMs ?? 10_000;

  return new Promise<ChildProcess>((resolve, reject) => {
    let output = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      child.stdout.removeListener('data', onData);
      // Keep draining: a full pipe would block the server's logging.
      child.stdout.resume();
      child.stderr.resume();
      if (error === undefined) {
        resolve(child);
      } else {
        child.kill('SIGKILL');
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (READY.test(output)) done();
    };
    const onExit = (code: number | null): void => {
      if (/Address already in use/i.test(output)) {
        done(new AddressInUse());
        return;
      }
      done(
        new RedisServerError(
          `redis-server exited (code ${code}) before it was ready:\n${output.slice(-2000)}`,
        ),
      );
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      const message =
        error.code === 'ENOENT'
          ? `\`${binary}\` was not found. ${INSTALL_HINT}`
          : `Could not run \`${binary}\``;
      done(new RedisServerError(message, { cause: error }));
    };
    const onAbort = (): void => {
      done(new RedisServerError('Redis start aborted', { cause: options.signal?.reason }));
    };
    const timer = setTimeout(() => {
      done(
        new RedisServerError(
          `redis-server was not ready within ${timeoutMs} ms:\n${output.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(escalate);
      resolve();
    });
    child.kill(signal);
  });
}

function freePort(): Promise<number> {
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
