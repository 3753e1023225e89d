import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchboardError } from '../errors.js';
import { freePort } from './free-port.js';
import { throwIfAborted } from '../internal/abort.js';
import { invalidOption } from '../internal/options.js';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';

/** A Redis ACL user {@link startRedisServer} creates, as an ACL file line: `user <name> <rules…>`. */
export type RedisAclUser = {
  /** The user name. */
  readonly name: string;
  /**
   * ACL rules, each without whitespace, e.g.
   * `['on', '>secret', 'resetkeys', '~app:*', 'resetchannels', '&app:*', '-@all', '+xadd']`.
   */
  readonly rules: readonly string[];
};

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
  /**
   * Serve TLS only: a throwaway CA and a server certificate for `127.0.0.1`
   * are made with `openssl` in the server's directory, the plain port is
   * off, and clients are not asked for certificates. Connect with
   * `url` (`rediss://…`) and trust {@link RedisServer.tls}'s `ca`.
   * @default false
   */
  readonly tls?: boolean;
  /**
   * Users to create from an ACL file at start (the `default` user stays as
   * Redis makes it: no password, every command), to test least-privilege setups.
   * @default []
   */
  readonly aclUsers?: readonly RedisAclUser[];
  readonly signal?: AbortSignal;
};

/** A running `redis-server` owned by the test that started it. */
export type RedisServer = {
  /** `redis://127.0.0.1:<port>`, or `rediss://…` with `tls`. */
  readonly url: string;
  /** With `tls`: the CA certificate (PEM, and its file) a client must trust; else `undefined`. */
  readonly tls: { readonly ca: string; readonly caFile: string } | undefined;
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
  const aclLines = aclFileLines(options.aclUsers ?? []);
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let certificates: TestCertificates | undefined;
  const args = [...(options.args ?? [])];
  try {
    if (options.tls === true) {
      certificates = await makeTestCertificates(dir);
      args.push(
        '--tls-cert-file', certificates.certFile,
        '--tls-key-file', certificates.keyFile,
        '--tls-ca-cert-file', certificates.caFile,
        '--tls-auth-clients', 'no',
      ); // prettier-ignore
    }
    if (aclLines !== undefined) {
      const aclFile = join(dir, 'users.acl');
      await writeFile(aclFile, aclLines);
      args.push('--aclfile', aclFile);
    }
    // A free port can be taken between our probe and Redis's bind: try a few.
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      try {
        child = await launch(port, dir, { ...options, args });
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

  const launched = { ...options, args };
  return {
    url: `${certificates === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
    tls:
      certificates === undefined ? undefined : { ca: certificates.ca, caFile: certificates.caFile },
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
      current = await launch(port, dir, launched);
    },
  };
}

class AddressInUse extends Error {}

// Whitespace or a newline would smuggle more rules, or another user, into the file.
const ACL_WORD = /^[^\s]+$/;

function aclFileLines(users: readonly RedisAclUser[]): string | undefined {
  if (!Array.isArray(users)) invalidOption('aclUsers', 'expected an array of users', TypeError);
  if (users.length === 0) return undefined;
  return users
    .map(({ name, rules }, index) => {
      if (typeof name !== 'string' || !ACL_WORD.test(name)) {
        invalidOption(`aclUsers[${index}].name`, 'expected a name without whitespace', TypeError);
      }
      if (
        !Array.isArray(rules) ||
        !rules.every((rule) => typeof rule === 'string' && ACL_WORD.test(rule))
      ) {
        invalidOption(`aclUsers[${index}].rules`, 'expected rules without whitespace', TypeError);
      }
      return `user ${name} ${rules.join(' ')}\n`;
    })
    .join('');
}

function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const ports =
    options.tls === true ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const args = [
    ...ports,
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
