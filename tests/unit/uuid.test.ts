import { describe, expect, it } from 'vitest';
import { randomUuid } from '../../src/internal/uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuid', () => {
  it('makes version 4 UUIDs in lowercase, all different, across many refills of its entropy', () => {
    // 256 ids per refill: 5,000 cross the refill about twenty times.
    const ids = Array.from({ length: 5_000 }, () => randomUuid());
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('returns a string of its own each time, not a view of a reused buffer', () => {
    const first = randomUuid();
    const copy = `${first}`;
    randomUuid();
    expect(first).toBe(copy);
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
