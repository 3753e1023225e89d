import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import type { Measurement } from './measure.js';
import type { BenchMode } from './scale.js';

/** One suite's measurements, each compared with the suite's baseline. */
export type SuiteResult = {
  readonly suite: string;
  readonly baseline: string;
  readonly rows: readonly Measurement[];
  readonly notes: readonly string[];
  /** The heading of the value column. @default 'per op (median)' */
  readonly metric?: string;
  /** What the rows' `nsPerOp`, `minNs` and `maxNs` hold. @default 'ns' */
  readonly unit?: 'ns' | 'bytes';
};

const time = (value: number): string => {
  const size = Math.abs(value);
  if (size >= 1e6) return `${(value / 1e6).toFixed(2)} ms`;
  return size >= 1000 ? `${(value / 1000).toFixed(2)} µs` : `${value.toFixed(1)} ns`;
};

const bytes = (value: number): string => `${(value / 2 ** 20).toFixed(2)} MiB`;

/** A markdown table: median ns/op (min–max), added ns and ratio against the baseline. */
export function table(result: SuiteResult): string {
  const base = result.rows.find((row) => row.name === result.baseline);
  const format = result.unit === 'bytes' ? bytes : time;
  const lines = [
    `### ${result.suite}`,
    '',
    `| contender | ${result.metric ?? 'per op (median)'} | min – max | added vs ${result.baseline} | ratio | details |`,
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of result.rows) {
    const added = base === undefined ? NaN : row.nsPerOp - base.nsPerOp;
    const ratio = base === undefined ? NaN : row.nsPerOp / base.nsPerOp;
    lines.push(
      `| ${row.name} | ${format(row.nsPerOp)} | ${format(row.minNs)} – ${format(row.maxNs)} | ${row.name === result.baseline ? '—' : format(added)} | ${ratio.toFixed(2)}× | ${row.extra ?? ''} |`,
    );
  }
  for (const note of result.notes) lines.push('', note);
  return lines.join('\n');
}

/** What {@link save} records about the run. */
export type RunInfo = {
  readonly mode: BenchMode;
  /** Every suite ran: only then does a full run refresh `bench/README.md`. */
  readonly complete: boolean;
  readonly seconds: number;
};

const README_START = '<!-- results:start -->';
const README_END = '<!-- results:end -->';

/**
 * Writes `bench/results/latest.{json,md}` (`smoke.{json,md}` for a smoke
 * run, whose numbers mean nothing) and, after a complete full run, puts the
 * tables into `bench/README.md` between its results markers. Returns the
 * paths written.
 */
export async function save(results: readonly SuiteResult[], run: RunInfo): Promise<string[]> {
  const dir = new URL('../results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const cpus = os.cpus();
  const meta = {
    mode: run.mode,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cores: os.availableParallelism(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    date: new Date().toISOString(),
    seconds: Math.round(run.seconds),
  };
  const base = run.mode === 'smoke' ? 'smoke' : 'latest';
  const json = new URL(`${base}.json`, dir);
  const md = new URL(`${base}.md`, dir);
  const header =
    `Node ${meta.node}, ${meta.platform}, ${meta.cores} cores (${meta.cpu}), ${meta.memory}; ` +
    `${meta.date.slice(0, 10)}; the whole run took ${meta.seconds} s. ` +
    'Ratios hold within one run; absolute numbers depend on the machine and its load.';
  const tables = results.map(table).join('\n\n');
  await writeFile(json, JSON.stringify({ ...meta, results }, null, 2));
  await writeFile(md, `# switchboard benchmarks (${run.mode})\n\n${header}\n\n${tables}\n`);
  const written = [fileURLToPath(md), fileURLToPath(json)];
  if (run.mode === 'full' && run.complete) {
    const readme = new URL('../README.md', import.meta.url);
    const text = await readFile(readme, 'utf8');
    const from = text.indexOf(README_START);
    const to = text.indexOf(README_END);
    if (from === -1 || to < from)
      throw new Error(`bench/README.md lacks ${README_START} … ${README_END}`);
    const fresh = `${README_START}\n\n${header}\n\n${tables.replace(/^### /gm, '#### ')}\n\n`;
    // Formatted as `npm run lint` expects, so a committed run passes CI.
    const path = fileURLToPath(readme);
    const options = await prettier.resolveConfig(path);
    const formatted = await prettier.format(text.slice(0, from) + fresh + text.slice(to), {
      ...options,
      filepath: path,
    });
    await writeFile(readme, formatted);
    written.push(fileURLToPath(readme));
  }
  return written;
}
