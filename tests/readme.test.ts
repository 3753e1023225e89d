import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

// Every ```ts block of the README runs here, as a module importing
// 'switchboard' (aliased to src/). A `console.log(...); // → text` line must
// print exactly `text`, so the README cannot drift from what the code does.

const root = new URL('..', import.meta.url);
const scratch = new URL('.readme-blocks/', root);
const readme = await readFile(new URL('README.md', root), 'utf8');
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');

const files = blocks.map((_code, index) => new URL(`block-${index + 1}.ts`, scratch));

// A block that imports from 'vitest' is a test file of its own: it is imported
// while this file is collected, so its `describe`/`it` register (and run) here.
const isTestFile = (code: string): boolean => /^import [^;]* from 'vitest';$/m.test(code);
const scriptBlocks = [...blocks.entries()].filter(([, code]) => !isTestFile(code));
for (const [index, code] of blocks.entries()) {
  if (!isTestFile(code)) continue;
  describe(`README block ${index + 1} (a vitest file)`, async () => {
    const file = files[index] ?? new URL(`block-${index + 1}.ts`, scratch);
    await mkdir(scratch, { recursive: true });
    await writeFile(file, code);
    await import(/* @vite-ignore */ fileURLToPath(file));
  });
}

beforeAll(async () => {
  // Blocks that need Redis read REDIS_URL, as a user's service would.
  process.env['REDIS_URL'] ??= inject('redisUrl');
  await mkdir(scratch, { recursive: true });
  await Promise.all(blocks.map((code, index) => writeFile(files[index] ?? '', code)));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('README', () => {
  it('has code blocks to check', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(scriptBlocks.map(([index, code]) => [index + 1, code] as const))(
    'block %i runs and prints what it says',
    async (n, code) => {
      const expected = [...code.matchAll(/console\.log\(.*\/\/ → (.*)$/gm)].map(
        (match) => match[1],
      );
      await mkdir(scratch, { recursive: true });
      const file = new URL(`block-${n}.ts`, scratch);
      await writeFile(file, code);
      const printed: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
        printed.push(format(...args));
      });
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        await import(/* @vite-ignore */ fileURLToPath(file));
      } finally {
        log.mockRestore();
        warn.mockRestore();
      }
      expect(printed).toEqual(expected);
    },
  );

  it("type-checks every block with the project's compiler options", () => {
    const configPath = fileURLToPath(new URL('tsconfig.json', root));
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        },
      },
    );
    expect(config).toBeDefined();
    const program = ts.createProgram({
      rootNames: files.map((file) => fileURLToPath(file)),
      options: config?.options ?? {},
    });
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file?.fileName.split('/').at(-1) ?? '';
      return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
    // A vitest block brings vitest's own types into the program: slow on a busy machine.
  }, 120_000);
});
