import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterOf, type BackoffOptions } from '../../src/resilience/backoff.js';

const none = (overrides: Partial<BackoffOptions> = {}): BackoffOptions => ({
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 'none',
  ...overrides,
});

describe('backoffDelay', () => {
  it("with jitter 'none' waits exactly base × factor^(n−1), capped at maxDelayMs", () => {
    const options = none({ baseDelayMs: 100, factor: 3, maxDelayMs: 5_000 });
    const delays = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, options));
    expect(delays).toEqual([100, 300, 900, 2_700, 5_000, 5_000]);
  });

  it('keeps a constant cap with factor 1', () => {
    const options = none({ baseDelayMs: 250, factor: 1 });
    expect([1, 2, 10].map((n) => backoffDelay(n, options))).toEqual([250, 250, 250]);
  });

  it('never waits more than maxDelayMs, even when baseDelayMs is larger', () => {
    expect(backoffDelay(1, none({ baseDelayMs: 800, maxDelayMs: 300 }))).toBe(300);
  });

  it('stays at maxDelayMs when the exponential overflows to Infinity', () => {
    // 2 ** 1100 is Infinity.
    expect(backoffDelay(1_101, none({ maxDelayMs: 7_000 }))).toBe(7_000);
  });

  it('is 0, never NaN, with baseDelayMs 0 however many attempts failed', () => {
    // 0 × Infinity is NaN: a NaN delay would reach onRetry and setTimeout.
    expect(backoffDelay(1, none({ baseDelayMs: 0 }))).toBe(0);
    expect(backoffDelay(2_000, none({ baseDelayMs: 0 }))).toBe(0);
    expect(backoffDelay(2_000, none({ baseDelayMs: 0, jitter: 'full' }))).toBe(0);
  });

  it('with full jitter picks whole milliseconds uniformly in [0, cap)', () => {
    const runs = 2_000;
    for (const [attempt, cap] of [
      [1, 100],
      [3, 400],
      [9, 1_000], // 100 × 2^8 = 25_600, capped
    ] as const) {
      const samples = Array.from({ length: runs }, () =>
        backoffDelay(attempt, { baseDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 'full' }),
      );
      for (const delay of samples) {
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(cap);
      }
      expect(new Set(samples).size).toBeGreaterThan(cap / 4);
      // Uniform over [0, cap): both ends are reached and the mean is about cap / 2.
      expect(samples.some((delay) => delay < cap / 4)).toBe(true);
      expect(samples.some((delay) => delay >= (cap * 3) / 4)).toBe(true);
      const mean = samples.reduce((sum, delay) => sum + delay, 0) / runs;
      expect(mean).toBeGreaterThan(cap * 0.4);
      expect(mean).toBeLessThan(cap * 0.6);
    }
  });
});

describe('retryAfterOf', () => {
  it('reads a non-negative retryAfterMs from any object', () => {
    expect(retryAfterOf({ retryAfterMs: 1_500 })).toBe(1_500);
    expect(retryAfterOf(Object.assign(new Error('busy'), { retryAfterMs: 0 }))).toBe(0);
    expect(retryAfterOf({ retryAfterMs: Infinity })).toBe(Infinity);
  });

  it.each([
    ['a negative number', { retryAfterMs: -1 }],
    ['NaN', { retryAfterMs: Number.NaN }],
    ['a string', { retryAfterMs: '1000' }],
    ['no such property', new Error('plain')],
    ['null', null],
    ['undefined', undefined],
    ['a string error', 'boom'],
    ['a number', 1_000],
  ])('is undefined for %s', (_label, value) => {
    expect(retryAfterOf(value)).toBeUndefined();
  });
});
