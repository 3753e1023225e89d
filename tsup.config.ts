import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// Kept tiny on purpose: tsup is unmaintained and a later move to tsdown should
// be a one-file change (see docs/decisions/0001-esm-only.md).
export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  // One shared chunk for both entry points, so `switchboard` and
  // `switchboard/testing` never hold two copies of a class.
  splitting: true,
  define: { __SWITCHBOARD_VERSION__: JSON.stringify(version) },
});
