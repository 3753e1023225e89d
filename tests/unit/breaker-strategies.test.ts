import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsecutiveFailures, FailureRate, type BreakerStrategy } from 'switchboard';

function optionError(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error('expected the constructor to throw');
}

describe('ConsecutiveFailures', () => {
  it('opens on the threshold-th failure in a row', () => {
    const strategy = new ConsecutiveFailures(3);
    expect(strategy.threshold).toBe(3);
    expect([strategy.failure(), strategy.failure(), strategy.failure()]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('opens on the first failure with threshold 1', () => {
    expect(new ConsecutiveFailures(1).failure()).toBe(true);
  });

  it('starts again after a success or a reset', () => {
    const strategy = new ConsecutiveFailures(2);
    strategy.failure();
    strategy.success();
    expect(strategy.failure()).toBe(false);
    strategy.reset();
    expect(strategy.failure()).toBe(false);
    expect(strategy.failure()).toBe(true);
  });

  it('rejects a threshold that is not an integer ≥ 1, naming failureThreshold', () => {
    for (const [value, kind] of [
      [0, RangeError],
      [-3, RangeError],
      [1.5, RangeError],
      [Infinity, RangeError],
      [NaN, TypeError],
    ] as const) {
      const error = optionError(() => new ConsecutiveFailures(value));
      expect(error).toBeInstanceOf(kind);
      expect(error).toMatchObject({
        code: 'ERR_SWITCHBOARD_INVALID_OPTION',
        option: 'failureThreshold',
      });
    }
  });
});

describe('FailureRate', () => {
  it('uses a window of 20 and a minimum of 10 by default', () => {
    const strategy = new FailureRate({ threshold: 0.5 });
    expect(strategy).toMatchObject({ threshold: 0.5, windowSize: 20, minimumCalls: 10 });
    const outcomes = Array.from({ length: 9 }, () => strategy.failure());
    expect(outcomes.every((opened) => !opened)).toBe(true);
    expect(strategy.failure()).toBe(true);
  });

  it('lowers the default minimum to a smaller window', () => {
    const strategy = new FailureRate({ threshold: 0.5, windowSize: 4 });
    expect(strategy.minimumCalls).toBe(4);
    expect([1, 2, 3].map(() => strategy.failure())).toEqual([false, false, false]);
    expect(strategy.failure()).toBe(true);
  });

  it('opens only when a failure brings the rate to the threshold', () => {
    const strategy = new FailureRate({ threshold: 0.5, windowSize: 4, minimumCalls: 4 });
    expect(strategy.failure()).toBe(false);
    strategy.success();
    strategy.success();
    // 1 of 3, then 2 of 4.
    expect(strategy.failure()).toBe(true);
  });

  it('slides: the oldest outcome leaves the window', () => {
    const strategy = new FailureRate({ threshold: 0.75, windowSize: 4, minimumCalls: 4 });
    strategy.failure();
    strategy.failure();
    strategy.failure();
    for (let i = 0; i < 4; i += 1) strategy.success();
    expect(strategy.failure()).toBe(false); // S S S F
    expect(strategy.failure()).toBe(false); // S S F F
    expect(strategy.failure()).toBe(true); // S F F F
  });

  it('forgets everything on reset', () => {
    const strategy = new FailureRate({ threshold: 1, windowSize: 2, minimumCalls: 2 });
    strategy.failure();
    strategy.reset();
    expect(strategy.failure()).toBe(false);
    expect(strategy.failure()).toBe(true);
  });

  it.each([
    [0.07, 100],
    [0.14, 50],
    [0.28, 25],
    [0.55, 100],
    [0.56, 25],
  ])(
    'opens at exactly threshold %s over %s calls, where threshold × calls rounds up',
    (threshold, calls) => {
      const failures = Math.round(threshold * calls);
      const strategy = new FailureRate({ threshold, windowSize: calls, minimumCalls: calls });
      for (let i = 0; i < calls - failures; i += 1) strategy.success();
      const opened = Array.from({ length: failures }, () => strategy.failure());
      expect(opened.slice(0, -1).some(Boolean)).toBe(false);
      expect(opened.at(-1)).toBe(true);
    },
  );

  it('agrees with a plain list of the last windowSize outcomes (exact arithmetic)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc
          .integer({ min: 1, max: 12 })
          .chain((windowSize) =>
            fc.tuple(fc.constant(windowSize), fc.integer({ min: 1, max: windowSize })),
          ),
        fc.array(fc.oneof(fc.constant('S'), fc.constant('F'), fc.constant('R')), { maxLength: 80 }),
        (percent, [windowSize, minimumCalls], steps) => {
          const strategy = new FailureRate({ threshold: percent / 100, windowSize, minimumCalls });
          let window: boolean[] = [];
          for (const step of steps) {
            if (step === 'R') {
              strategy.reset();
              window = [];
            } else if (step === 'S') {
              strategy.success();
              window = [...window, false].slice(-windowSize);
            } else {
              window = [...window, true].slice(-windowSize);
              const failures = window.filter(Boolean).length;
              const expected =
                window.length >= minimumCalls && failures * 100 >= percent * window.length;
              expect(strategy.failure()).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  type Bad = [options: unknown, option: string, kind: typeof TypeError | typeof RangeError];
  it.each<Bad>([
    [{ threshold: 0 }, 'failureRate.threshold', RangeError],
    [{ threshold: 1.5 }, 'failureRate.threshold', RangeError],
    [{ threshold: -1 }, 'failureRate.threshold', RangeError],
    [{ threshold: Infinity }, 'failureRate.threshold', RangeError],
    [{ threshold: NaN }, 'failureRate.threshold', TypeError],
    [{ threshold: '0.5' }, 'failureRate.threshold', TypeError],
    [{ threshold: 0.5, windowSize: 0 }, 'failureRate.windowSize', RangeError],
    [{ threshold: 0.5, windowSize: -20 }, 'failureRate.windowSize', RangeError],
    [{ threshold: 0.5, windowSize: 20.5 }, 'failureRate.windowSize', RangeError],
    [{ threshold: 0.5, minimumCalls: 0 }, 'failureRate.minimumCalls', RangeError],
    [{ threshold: 0.5, minimumCalls: Infinity }, 'failureRate.minimumCalls', RangeError],
    [{ threshold: 0.5, windowSize: 8, minimumCalls: 9 }, 'failureRate.windowSize', RangeError],
    [{ threshold: 0.5, windowSize: 5, minimumCalls: 6 }, 'failureRate.windowSize', RangeError],
    [null, 'failureRate', TypeError],
    [0.5, 'failureRate', TypeError],
  ])('rejects %j, naming %s', (options, option, kind) => {
    const error = optionError(
      () => new FailureRate(options as ConstructorParameters<typeof FailureRate>[0]),
    );
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ code: 'ERR_SWITCHBOARD_INVALID_OPTION', option });
    expect((error as Error).message).toContain(option);
  });

  it('accepts a window equal to minimumCalls and a threshold of 1', () => {
    const strategy: BreakerStrategy = new FailureRate({
      threshold: 1,
      windowSize: 3,
      minimumCalls: 3,
    });
    expect([strategy.failure(), strategy.failure(), strategy.failure()]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("never mutates the caller's options", () => {
    const options = Object.freeze({ threshold: 0.5, windowSize: 4, minimumCalls: 2 });
    const strategy = new FailureRate(options);
    strategy.failure();
    strategy.reset();
    expect(options).toEqual({ threshold: 0.5, windowSize: 4, minimumCalls: 2 });
  });
});
