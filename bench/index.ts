import { eventsSuite } from './events.js';
import { httpSuite } from './http.js';
import { policyOverhead } from './policy-overhead.js';
import { save, table, type SuiteResult } from './lib/report.js';

// `npm run bench` runs every suite; `npm run bench -- policy` runs one.
const suites: Record<string, () => Promise<SuiteResult[]>> = {
  policy: () => policyOverhead(),
  http: () => httpSuite(),
  events: () => eventsSuite(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(
    `Unknown suite(s): ${unknown.join(', ')}. Known: ${Object.keys(suites).join(', ')}`,
  );
  process.exit(2);
}

const results: SuiteResult[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`▶ ${name} …`);
  for (const result of await run()) {
    results.push(result);
    console.log(`\n${table(result)}\n`);
  }
}
console.log(`Written to ${await save(results)}`);
