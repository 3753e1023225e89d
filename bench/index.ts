import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { save, type SuiteResult } from './lib/report.js';
import type { BenchMode } from './lib/scale.js';
import { suites } from './suites.js';

// `npm run bench` runs every suite; `npm run bench -- policy` runs one;
// `--smoke` runs them with tiny counts (CI), only to prove they still run.
// Each suite runs in a fresh process: one suite's heap, JIT state or
// AsyncLocalStorage hooks (which slow every promise once in use, on Node 20)
// must not weigh on the next one's numbers.

const args = process.argv.slice(2);
const mode: BenchMode = args.includes('--smoke') ? 'smoke' : 'full';
const wanted = args.filter((arg) => arg !== '--smoke');
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(
    `Unknown suite(s): ${unknown.join(', ')}. Known: ${Object.keys(suites).join(', ')}; flag: --smoke`,
  );
  process.exit(2);
}

const runner = fileURLToPath(new URL('./run-suite.ts', import.meta.url));
// The suites import `switchboard` as users do: through the package's exports,
// so they measure the published build in dist/ (`npm run bench` builds it
// first), not src/ as tsx transforms it (ADR 0012).
const env = {
  ...process.env,
  TSX_TSCONFIG_PATH: fileURLToPath(new URL('./tsconfig.dist.json', import.meta.url)),
};
const chosen = Object.keys(suites).filter((name) => wanted.length === 0 || wanted.includes(name));
const began = performance.now();
const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);
const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
const results: SuiteResult[] = [];
try {
  for (const [index, name] of chosen.entries()) {
    const started = performance.now();
    console.log(`▶ [${index + 1}/${chosen.length}] ${name}${mode === 'smoke' ? ' (smoke)' : ''} …`);
    const out = join(dir, `${name}.json`);
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', runner, name, mode, out],
      { stdio: 'inherit', env },
    );
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    if (code !== 0) throw new Error(`suite ${name} failed (exit ${code ?? signal})`);
    results.push(...(JSON.parse(await readFile(out, 'utf8')) as SuiteResult[]));
    console.log(`✓ ${name} in ${seconds(started)} s (${seconds(began)} s so far)`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const written = await save(results, {
  mode,
  complete: chosen.length === Object.keys(suites).length,
  seconds: (performance.now() - began) / 1000,
});
console.log(`Written to ${written.join(', ')}`);
