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
import { measureCpu } from './lib/cpu.js';
import { startJsonServer } from './lib/json-server.js';
import { loadAlternating, timePerOp, type LoadResult } from './lib/load.js';
import type { Measurement } from './lib/measure.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';

// ServiceClient's whole pipeline (registry, breaker, retry policy, schema)
// against what users would otherwise write, on one local server in its own process.

const CLIENT = 'ServiceClient (registry+breaker+retry+schema)';
const GLOBAL_FETCH_CLIENT = '· ServiceClient on the global fetch (through ky)';
const User = z.object({ id: z.number(), email: z.string(), username: z.string() });
// What the fixture answers, for the in-process floors below.
const BODY = Buffer.from(JSON.stringify({ id: 1, email: 'user@example.test', username: 'user' }));

export async function httpSuite(scale: RunScale): Promise<SuiteResult[]> {
  const rounds = scale.pick(3, 1);
  const server = await startJsonServer();
  try {
    const { origin } = server;
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

    const contenders: { name: string; op: () => Promise<unknown> }[] = [
      { name: 'raw fetch', op: getJson },
      {
        name: 'undici Pool',
        op: async () => (await pool.request({ path: '/users/1', method: 'GET' })).body.json(),
      },
      { name: 'ky', op: () => plainKy.get(url).json() },
      {
        name: CLIENT,
        op: () => client.get('/users/1', { schema: User }),
      },
      {
        name: GLOBAL_FETCH_CLIENT,
        op: () => globalClient.get('/users/1', { schema: User }),
      },
      { name: 'opossum + fetch', op: () => opossum.fire() },
      { name: 'cockatiel retry+breaker + fetch', op: () => cockatiel.execute(getJson) },
    ];

    const results: SuiteResult[] = [];
    const cpuRows: Measurement[] = [];
    for (const [concurrency, requests] of [
      [1, scale.pick(1_000, 50)],
      [50, scale.pick(3_000, 200)],
    ] as const) {
      // Rounds interleaved (A B … B A): contenders share one process, and
      // whoever ran right after a contender that leaves much garbage behind
      // would otherwise pay for its collection.
      // The global-fetch variant only where the throughput target is judged.
      const here = contenders.filter((c) => concurrency === 50 || c.name !== GLOBAL_FETCH_CLIENT);
      const rows = await loadAlternating(here, { concurrency, requests, rounds });
      if (concurrency === 50) {
        for (const row of rows) {
          cpuRows.push(cpuRow(row.name, row.cpuUsPerOp * 1_000, { rounds, requests }));
        }
      }
      results.push({
        suite: `HTTP GET of a small JSON body, concurrency ${concurrency}`,
        baseline: 'raw fetch',
        // Time per request, so the shared table reads "lower is better".
        rows: rows.map((row) => timePerOp(row, { rounds, opsPerRound: requests, per: 'req' })),
        notes: [verdict(concurrency, rows)],
      });
    }
    results.push(await cpuSuite(cpuRows, url, scale));
    opossum.shutdown();
    await pool.close();
    await client.close();
    await globalClient.close();
    await registry.close();
    return results;
  } finally {
    server.stop();
  }
}

/** The target at this concurrency, and whether this run met it. */
function verdict(concurrency: number, rows: readonly LoadResult[]): string {
  const raw = rows.find((row) => row.name === 'raw fetch');
  const client = rows.find((row) => row.name === CLIENT);
  if (raw === undefined || client === undefined) return '';
  if (concurrency === 1) {
    const added = client.p99Ms - raw.p99Ms;
    return `Target: ServiceClient adds ≤ 0.2 ms p99 over raw fetch at c=1. This run: ${added.toFixed(3)} ms (p99 ${client.p99Ms.toFixed(3)} vs ${raw.p99Ms.toFixed(3)} ms) — ${added <= 0.2 ? 'met' : 'NOT met'}.`;
  }
  const ratio = client.opsPerSec / raw.opsPerSec;
  return `Target: ServiceClient ≥ 1.0× raw fetch throughput at c=50 (ratio here is time per request: ≤ 1.00× is the goal). This run: ${ratio.toFixed(2)}× raw fetch's throughput — ${ratio >= 1 ? 'met' : 'NOT met'}; CPU per request ${(client.cpuUsPerOp / raw.cpuUsPerOp).toFixed(2)}× raw fetch's. Rows marked · are diagnostics: the client over the global fetch goes through ky (the \`fetch\` option's transport).`;
}

// The load's median CPU over its rounds; it reports no spread for CPU.
function cpuRow(
  name: string,
  nsPerOp: number,
  { rounds, requests }: { rounds: number; requests: number },
): Measurement {
  return { name, nsPerOp, minNs: nsPerOp, maxNs: nsPerOp, rounds, opsPerRound: requests };
}

/**
 * The client's CPU per request at c=50 next to two in-process floors: a fetch
 * that returns a canned Response at once (no network; the WHATWG Response any
 * fetch-compatible function must build), and ky over it with the options the
 * client's fetch transport passes. Their difference is ky's own cost per
 * request, which no transport under ky can win back: why the client's default
 * transport does without ky (docs/decisions/0014-http-transport-without-ky.md).
 */
async function cpuSuite(rows: Measurement[], url: string, scale: RunScale): Promise<SuiteResult> {
  const options = scale.pick(
    { ops: 3_000, rounds: 5, warmup: 1 },
    { ops: 200, rounds: 1, warmup: 1 },
  );
  const responseHeaders: [string, string][] = [
    ['content-type', 'application/json'],
    ['content-length', String(BODY.byteLength)],
    ['date', new Date().toUTCString()],
    ['connection', 'keep-alive'],
    ['keep-alive', 'timeout=60'],
  ];
  const canned = (): Promise<Response> =>
    Promise.resolve(new Response(BODY, { status: 200, headers: responseHeaders }));
  const overCanned = ky.create({ retry: 0, timeout: false, throwHttpErrors: false, fetch: canned });
  // The headers ServiceClient sends with each attempt.
  const headers = {
    'user-agent': 'switchboard/bench',
    accept: 'application/json',
    'x-correlation-id': '3b0f6c2e-0c4e-4a39-9d7b-4d0a7b9a0c11',
    'x-request-timeout-ms': '15000',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  };
  const fetchFloor = await measureCpu(
    'in-process fetch: a canned Response, no network',
    canned,
    options,
  );
  const kyFloor = await measureCpu(
    'ky over that in-process fetch (ky floor)',
    () => overCanned(url, { method: 'GET', headers }),
    options,
  );
  const all = [...rows, fetchFloor, kyFloor];
  const ns = (name: string): number => all.find((row) => row.name === name)?.nsPerOp ?? NaN;
  const raw = ns('raw fetch');
  const kyOwn = kyFloor.nsPerOp - fetchFloor.nsPerOp;
  const share = (value: number): string => `${(value / raw).toFixed(2)}×`;
  return {
    suite: 'Client CPU per request (c=50 load, and in-process floors)',
    baseline: 'raw fetch',
    rows: all,
    notes: [
      `ky's own CPU per request (ky floor − in-process fetch) = ${share(kyOwn)} raw fetch's whole request; ky floor + undici Pool (transport) = ${share(kyFloor.nsPerOp + ns('undici Pool'))} before any registry, breaker, retry, schema, trace or body work.`,
      `ServiceClient's default transport (undici's dispatcher, no ky, no WHATWG objects) with its whole pipeline: ${share(ns(CLIENT))}; through ky on the global fetch: ${share(ns(GLOBAL_FETCH_CLIENT))} (ADR 0014).`,
    ],
  };
}
