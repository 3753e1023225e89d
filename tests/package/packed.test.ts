import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Builds and packs the package as npm would publish it, installs the tarball
// into a throwaway project, and loads it with the Node running this suite
// (CI runs the suite on Node 20, 22 and 24).

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let work: string;
let consumer: string;

async function node(file: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, [file], { cwd: consumer, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'switchboard-pack-'));
  consumer = join(work, 'consumer');
  // Build first, then pack without scripts: npm would otherwise mix the
  // build's log into the JSON it prints.
  await run(npm, ['run', 'build'], { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await run(
    npm,
    ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
    { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const files = packed.files.map((file) => file.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files).toContain('dist/testing/index.js');
  expect(files).toContain('LICENSE');
  expect(files.filter((path) => /^(src|tests|bench|examples|docs)\//.test(path))).toEqual([]);

  await run('mkdir', ['-p', consumer]);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true }),
  );
  // Dependencies come from the npm cache filled by `npm ci`; no build scripts run.
  await run(
    npm,
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      join(work, packed.filename),
    ],
    { cwd: consumer, timeout: 180_000 },
  );
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const USE = `
  const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 60_000 });
  await breaker.call(() => { throw new Error('down'); }).catch(() => undefined);
  const rejected = await breaker.call(() => 'never').catch((error) => error);
  const correlationId = await withCorrelation({ correlationId: 'c-1' }, async () => currentCorrelation().correlationId);
  const retried = await new RetryPolicy({ retries: 2, baseDelayMs: 1 }).execute(({ attempt }) => {
    if (attempt < 3) throw new Error('flaky');
    return attempt;
  });
  console.log(JSON.stringify({
    state: breaker.state,
    code: rejected.code,
    isBase: rejected instanceof SwitchboardError,
    guard: isSwitchboardError(rejected, 'CIRCUIT_OPEN'),
    correlationId,
    retried,
    testingShared: new RedisServerError('x') instanceof SwitchboardError,
  }));
`;

const EXPECTED = {
  state: 'open',
  code: 'CIRCUIT_OPEN',
  isBase: true,
  guard: true,
  correlationId: 'c-1',
  retried: 3,
  testingShared: true,
};

describe(`the packed tarball on Node ${process.version}`, () => {
  it('imports its dependencies and zod instead of bundling them', async () => {
    // Every built module (entry points and shared chunks), as they would be published.
    const dist = join(root, 'dist');
    const modules = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.js'));
    const built = (
      await Promise.all(modules.map((file) => readFile(join(dist, file), 'utf8')))
    ).join('\n');
    for (const dependency of ['zod', 'ky', 'ioredis', 'undici', 'p-retry', 'mitt']) {
      expect(built).toContain(`from "${dependency}"`);
    }
    // One zod for the user's schemas and ours: a bundled copy would be hundreds of KB.
    expect(built.length).toBeLessThan(500_000);
  });

  it('works with import from an ES module', async () => {
    await writeFile(
      join(consumer, 'esm.mjs'),
      `import { CircuitBreaker, RetryPolicy, SwitchboardError, currentCorrelation, isSwitchboardError, withCorrelation } from 'switchboard';
       import { RedisServerError } from 'switchboard/testing';
       ${USE}`,
    );
    expect(await node('esm.mjs')).toEqual(EXPECTED);
  });

  it('works with require from a CommonJS module, sharing one copy of each class with import', async () => {
    await writeFile(
      join(consumer, 'cjs.cjs'),
      `const { CircuitBreaker, RetryPolicy, SwitchboardError, currentCorrelation, isSwitchboardError, withCorrelation } = require('switchboard');
       const { RedisServerError } = require('switchboard/testing');
       (async () => {
         const esm = await import('switchboard');
         if (esm.SwitchboardError !== SwitchboardError) throw new Error('two copies of SwitchboardError');
         ${USE}
       })().catch((error) => { console.error(error); process.exit(1); });`,
    );
    expect(await node('cjs.cjs')).toEqual(EXPECTED);
  });
});
