import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Linked, LinkedSet } from '../../src/internal/linked-set.js';

class Entry extends Linked {
  constructor(readonly name: number) {
    super();
  }
}

const names = (set: LinkedSet<Entry>): number[] => [...set].map((entry) => entry.name);

/** A set holding entries 0 … count - 1, in order, and the entries. */
function filled(count: number): { set: LinkedSet<Entry>; entries: Entry[] } {
  const set = new LinkedSet<Entry>();
  const entries = Array.from({ length: count }, (_, i) => new Entry(i));
  for (const entry of entries) set.add(entry);
  return { set, entries };
}

describe('LinkedSet', () => {
  it('behaves as a Set of the same operations would (model-based)', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), index: fc.nat(19) }),
      fc.record({ kind: fc.constant('delete' as const), index: fc.nat(19) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const entries = Array.from({ length: 20 }, (_, i) => new Entry(i));
        const set = new LinkedSet<Entry>();
        const model = new Set<Entry>();
        for (const step of operations) {
          if (step.kind === 'clear') {
            expect(set.clear().map((entry) => entry.name)).toEqual([...model].map((e) => e.name));
            model.clear();
          } else {
            const entry = entries[step.index] as Entry;
            if (step.kind === 'add') {
              set.add(entry);
              model.add(entry);
            } else {
              expect(set.delete(entry)).toBe(model.delete(entry));
            }
          }
          expect(set.size).toBe(model.size);
          expect(names(set)).toEqual([...model].map((entry) => entry.name));
        }
        // What is not in the set holds no link to anything: nothing it once
        // neighboured is kept alive through it.
        for (const entry of entries) {
          if (model.has(entry)) continue;
          expect(entry.prev).toBeUndefined();
          expect(entry.next).toBeUndefined();
          expect(entry.owner).toBeUndefined();
        }
      }),
    );
  });

  it('leaves an entry of another set where it is', () => {
    const first = new LinkedSet<Entry>();
    const second = new LinkedSet<Entry>();
    const entry = new Entry(1);
    first.add(entry);
    second.add(entry);
    expect(second.size).toBe(0);
    expect(second.delete(entry)).toBe(false);
    expect(names(first)).toEqual([1]);
  });

  it('lets a loop delete the entry it is at', () => {
    const { set } = filled(5);
    const seen: number[] = [];
    for (const entry of set) {
      seen.push(entry.name);
      if (entry.name % 2 === 0) set.delete(entry);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(names(set)).toEqual([1, 3]);
  });

  it('does not visit an entry the loop deleted before reaching it', () => {
    const { set, entries } = filled(5);
    const seen: number[] = [];
    for (const entry of set) {
      seen.push(entry.name);
      if (entry.name === 1) set.delete(entries[2] as Entry);
    }
    expect(seen).toEqual([0, 1, 3, 4]);
    expect(names(set)).toEqual([0, 1, 3, 4]);
  });
});
