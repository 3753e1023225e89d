import { writeFile } from 'node:fs/promises';
import { table } from './lib/report.js';
import { runScale } from './lib/scale.js';
import { suites } from './suites.js';

// One suite in this process, started by bench/index.ts: prints its tables and
// writes its results as JSON to the given file.
// Usage: node --expose-gc --import tsx bench/run-suite.ts <suite> <full|smoke> <out.json>

const [name = '', mode, out] = process.argv.slice(2);
const suite = suites[name];
if (suite === undefined || (mode !== 'full' && mode !== 'smoke') || out === undefined) {
  console.error('usage: run-suite.ts <suite> <full|smoke> <out.json>');
  process.exit(2);
}
const results = await suite(runScale(mode));
for (const result of results) console.log(`\n${table(result)}\n`);
await writeFile(out, JSON.stringify(results));
