// Writes examples/contracts/event-schemas.snapshot.json from the current
// catalogue, and says what changed since the committed one:
//   node --import tsx examples/contracts/update-event-schemas.ts
// Commit the file with the change to the catalogue, so that the review sees
// both. A breaking change is better shipped as a new version of the event.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { checkEventCompatibility, type EventSchemaChange } from 'switchboard/testing';
import { EVENT_SCHEMAS_FILE, committedEventSchemas, currentEventSchemas } from './event-schemas.js';

const path = fileURLToPath(EVENT_SCHEMAS_FILE);
const current = currentEventSchemas();
const committed = await committedEventSchemas().catch(() => undefined);
// One property a line, for readable diffs, and as `prettier --check .` expects.
const text = await format(JSON.stringify(current, null, 2), {
  ...(await resolveConfig(path)),
  filepath: path,
});
await writeFile(path, text);

const line = (change: EventSchemaChange): string => `  ${change.path}: ${change.message}`;
const report = committed === undefined ? undefined : checkEventCompatibility(committed, current);
console.log(`wrote ${path}`);
if (report !== undefined) {
  for (const [title, changes] of [
    ['breaking (consumers of the old schema will reject events):', report.breaking],
    ['compatible:', report.nonBreaking],
  ] as const) {
    if (changes.length > 0) console.log([title, ...changes.map(line)].join('\n'));
  }
}
