import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

export default defineConfig({
  define: { __SWITCHBOARD_VERSION__: JSON.stringify(version) },
  resolve: {
    // Tests and examples import the package by name, exactly as users do.
    alias: [
      { find: /^switchboard\/testing$/, replacement: src('testing/index.ts') },
      { find: /^switchboard$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['tests/setup/redis.global.ts'],
    // Fails a test that leaves an unhandled rejection, an uncaught exception
    // or a MaxListenersExceededWarning behind (vitest ignores the last).
    setupFiles: ['tests/support/guard.ts'],
    // Most tests wait on sockets, timers and child processes, not the CPU:
    // three files at a time on a 2-core machine took the suite from 311 s to
    // 126 s, green (vitest's default is one fewer worker than cores: 1 here).
    maxWorkers: 3,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ['tests/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
