import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The small-JSON HTTP server of the benchmarks, in a process of its own. */
export type JsonServer = {
  /** `http://127.0.0.1:<port>`; `GET /users/1` answers a small JSON body. */
  readonly origin: string;
  stop(): void;
};

/**
 * Starts `bench/fixtures/json-server.ts` in its own process, so it does not
 * share the client's event loop; it exits when `stop()` is called or this
 * process goes away (it watches its stdin).
 */
export async function startJsonServer(): Promise<JsonServer> {
  const script = fileURLToPath(new URL('../fixtures/json-server.ts', import.meta.url));
  const server = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await Promise.race([
      once(server.stdout, 'data'),
      once(server, 'exit').then(() => {
        throw new Error('the bench JSON server exited before it listened');
      }),
    ])) as [Buffer];
    return { origin: `http://127.0.0.1:${chunk.toString().trim()}`, stop: () => server.kill() };
  } catch (error) {
    server.kill();
    throw error;
  }
}
