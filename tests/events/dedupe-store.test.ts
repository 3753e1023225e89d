import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryDedupeStore } from 'switchboard';

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryDedupeStore', () => {
  it('holds a claim for its lease only, so a crashed handler does not hide the event', async () => {
    vi.useFakeTimers();
    const store = new MemoryDedupeStore();
    expect(await store.claim('g:1', 1_000)).toBe(true);
    expect(await store.claim('g:1', 1_000)).toBe(false); // in progress elsewhere
    vi.advanceTimersByTime(1_000);
    // The first handler never completed (a crash): the redelivery may run it.
    expect(await store.claim('g:1', 1_000)).toBe(true);
  });

  it('remembers a completed event for its ttl, and forgets a released one at once', async () => {
    vi.useFakeTimers();
    const store = new MemoryDedupeStore();
    await store.claim('g:1', 1_000);
    await store.complete('g:1', 60_000);
    vi.advanceTimersByTime(30_000);
    expect(await store.claim('g:1', 1_000)).toBe(false);
    vi.advanceTimersByTime(30_000);
    expect(await store.claim('g:1', 1_000)).toBe(true);
    await store.release('g:1');
    expect(await store.claim('g:1', 1_000)).toBe(true);
  });

  it('retakes a claim still leased when asked, never a completed one', async () => {
    const store = new MemoryDedupeStore();
    expect(await store.claim('g:1', 60_000)).toBe(true);
    // A redelivery after its first consumer died holding the claim.
    expect(await store.claim('g:1', 60_000)).toBe(false);
    expect(await store.claim('g:1', 60_000, { retake: true })).toBe(true);
    await store.complete('g:1', 60_000);
    expect(await store.claim('g:1', 60_000, { retake: true })).toBe(false);
  });

  it('is bounded: the oldest entry goes first', async () => {
    const store = new MemoryDedupeStore({ maxEntries: 2 });
    await store.claim('a', 60_000);
    await store.claim('b', 60_000);
    await store.claim('c', 60_000);
    expect(store.size).toBe(2);
    expect(await store.claim('a', 60_000)).toBe(true);
  });
});
