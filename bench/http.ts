import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleAll,
  retry,
  wrap,
} from 'cockatiel';
import ky from 'ky';
import Opossum from 'opossum';
import { Pool } from 'undici';
import { z } from 'zod';
import { ServiceClient, ServiceRegistry } from 'switchboard';
import { load, type LoadResult } from './lib/load.js';
import type { SuiteResult } from './lib/report.js';

// ServiceClient's whole pipeline (registry, breaker, retry policy, schema)
// against what users would otherwise write, on one local server in its own process.

const User = z.object({ id: z.number(), email: z.string(), username: z.string() });

export async function httpSuite(): Promise<SuiteResult[]> {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/json-server.ts', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  try {
    const [chunk] = (await once(server.stdout, 'data')) as [Buffer];
    const origin = `http://127.0.0.1:${chunk.toString().trim()}`;
    const url = `${origin}/users/1`;

    const pool = new Pool(origin, { connections: 64, pipelining: 1 });
    const plainKy = ky.create({ retry: 0, timeout: false });
    const registry = ServiceRegistry.fromConfig({ bench: origin }, { health: false });
    const client = new ServiceClient('bench', { registry });
    const globalClient = new ServiceClient('bench', { registry, fetch: globalThis.fetch });
    const getJson = async (): Promise<unknown> => (await fetch(url)).json();
    const opossum = new Opossum(getJson);
    const cockatiel = wrap(
      retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
      circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
    );

    const contenders: [string, () => Promise<unknown>][] = [
      ['raw fetch', getJson],
      [
        'undici Pool',
        async () => (await pool.request({ path: '/users/1', method: 'GET' })).body.json(),
      ],
      ['ky', () => plainKy.get(url).json()],
      [
        'ServiceClient (registry+breaker+retry+schema)',
        () => client.get('/users/1', { schema: User }),
      ],
      ['ServiceClient on the global fetch', () => globalClient.get('/users/1', { schema: User })],
      ['opossum + fetch', () => opossum.fire()],
      ['cockatiel retry+breaker + fetch', () => cockatiel.execute(getJson)],
    ];

    const results: SuiteResult[] = [];
    for (const [concurrency, requests] of [
      [1, 2_000],
      [50, 10_000],
    ] as const) {
      const rows: LoadResult[] = [];
      for (const [name, op] of contenders)
        rows.push(await load(name, op, { concurrency, requests }));
      results.push({
        suite: `HTTP GET of a small JSON body, concurrency ${concurrency}`,
        baseline: 'raw fetch',
        rows: rows.map((row) => ({
          name: row.name,
          // Report time per request so the shared table reads "lower is better".
          nsPerOp: 1e9 / row.opsPerSec,
          minNs: 1e9 / row.maxOpsPerSec,
          maxNs: 1e9 / row.minOpsPerSec,
          rounds: 3,
          opsPerRound: requests,
          extra: `${Math.round(row.opsPerSec)} req/s, p50 ${row.p50Ms.toFixed(3)} ms, p99 ${row.p99Ms.toFixed(3)} ms`,
        })),
        notes: [
          concurrency === 1
            ? 'Target: ServiceClient adds ≤ 0.2 ms p99 over raw fetch at c=1.'
            : 'Target: ServiceClient ≥ 1.0× raw fetch throughput at c=50 (ratio here is time per request: ≤ 1.00× is the goal).',
        ],
      });
    }
    opossum.shutdown();
    await pool.close();
    await client.close();
    await globalClient.close();
    await registry.close();
    return results;
  } finally {
    server.kill();
  }
}
