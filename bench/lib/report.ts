import { mkdir, writeFile } from 'node:fs/promises';
import type { Measurement } from './measure.js';

/** One suite's measurements, each compared with the suite's baseline. */
export type SuiteResult = {
  readonly suite: string;
  readonly baseline: string;
  readonly rows: readonly Measurement[];
  readonly notes: readonly string[];
  /** The heading of the value column. @default 'per op (median)' */
  readonly metric?: string;
};

const ns = (value: number): string => {
  const size = Math.abs(value);
  if (size >= 1e6) return `${(value / 1e6).toFixed(2)} ms`;
  return size >= 1000 ? `${(value / 1000).toFixed(2)} µs` : `${value.toFixed(1)} ns`;
};

/** A markdown table: median ns/op (min–max), added ns and ratio against the baseline. */
export function table(result: SuiteResult): string {
  const base = result.rows.find((row) => row.name === result.baseline);
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
      `| ${row.name} | ${ns(row.nsPerOp)} | ${ns(row.minNs)} – ${ns(row.maxNs)} | ${row.name === result.baseline ? '—' : ns(added)} | ${ratio.toFixed(2)}× | ${row.extra ?? ''} |`,
    );
  }
  for (const note of result.notes) lines.push('', note);
  return lines.join('\n');
}

/** Writes bench/results/latest.json and latest.md. */
export async function save(results: readonly SuiteResult[]): Promise<string> {
  const dir = new URL('../results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const meta = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
  await writeFile(new URL('latest.json', dir), JSON.stringify({ ...meta, results }, null, 2));
  const header = `# switchboard benchmarks\n\nNode ${meta.node}, ${meta.platform}, ${meta.date}. Ratios hold within one run; absolute numbers depend on the machine.\n`;
  await writeFile(new URL('latest.md', dir), [header, ...results.map(table)].join('\n\n') + '\n');
  return new URL('latest.md', dir).pathname;
}
