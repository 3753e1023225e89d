import { describe, expect, it } from 'vitest';
import { randomUuid, writeRandomHex } from '../../src/internal/random-ids.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('writeRandomHex', () => {
  it('writes the bytes asked for as lowercase hex where asked, different each time, across refills of the pool', () => {
    // 4 KiB per refill: 2,000 draws of 24 bytes cross it about a dozen times.
    const text = Buffer.from('<' + ' '.repeat(48) + '>', 'latin1');
    const ids = Array.from({ length: 2_000 }, () => {
      expect(writeRandomHex(text, 1, 24)).toBe(true);
      return text.toString('latin1');
    });
    for (const id of ids) expect(id).toMatch(/^<[0-9a-f]{48}>$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('randomUuid', () => {
  it('makes version 4 UUIDs in lowercase, all different, across many refills of its entropy', () => {
    // 256 ids per refill: 5,000 cross the refill about twenty times.
    const ids = Array.from({ length: 5_000 }, () => randomUuid());
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('varies every random hex digit (122 random bits, none stuck)', () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let n = 0; n < 2_000; n++) {
      const id = randomUuid();
      for (let i = 0; i < id.length; i++) seen[i]?.add(id[i] as string);
    }
    const sizes = seen.map((digits) => digits.size);
    // Dashes, the version digit, and the variant digit (8, 9, a or b).
    for (const i of [8, 13, 18, 23]) expect(sizes[i]).toBe(1);
    expect(sizes[14]).toBe(1);
    expect(sizes[19]).toBe(4);
    const random = sizes.filter((_, i) => ![8, 13, 14, 18, 19, 23].includes(i));
    for (const size of random) expect(size).toBe(16);
  });
});
