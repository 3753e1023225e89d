import { afterEach, describe, expect, it, vi } from 'vitest';

// The pool of random bytes is filled by randomFillSync: the first fill here
// is all zeros, so every id drawn from it is all-zero, which W3C forbids.
let fills = 0;
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      fills++;
      if (fills === 1) {
        new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).fill(0);
        return buffer;
      }
      return crypto.randomFillSync(buffer);
    },
  };
});

afterEach(() => {
  vi.resetModules();
  fills = 0;
});

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

describe('traceparent ids drawn all zero', () => {
  it('createTraceparent draws again until neither id is all zero', async () => {
    const { createTraceparent, parseTraceparent } =
      await import('../../src/context/traceparent.js');
    const header = createTraceparent();
    expect(fills).toBe(2);
    const parsed = parseTraceparent(header);
    expect(parsed).toBeDefined();
    expect(parsed?.traceId).not.toBe(ZERO_TRACE);
    expect(parsed?.parentId).not.toBe(ZERO_SPAN);
  });

  it('childTraceparent draws again until the span id is not all zero', async () => {
    const { childTraceparent, parseTraceparent } = await import('../../src/context/traceparent.js');
    const header = childTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(fills).toBe(2);
    expect(parseTraceparent(header)?.parentId).not.toBe(ZERO_SPAN);
  });
});
