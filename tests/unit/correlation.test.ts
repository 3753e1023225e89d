import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentCorrelation, newCorrelationId, withCorrelation } from 'switchboard';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('correlation context', () => {
  it('is undefined outside any context', () => {
    expect(currentCorrelation()).toBeUndefined();
  });

  it('flows through awaits, timers and promise chains inside withCorrelation', async () => {
    const seen = await withCorrelation({ correlationId: 'req-1' }, async () => {
      await sleep(1);
      const fromTimer = await new Promise<string | undefined>((resolve) =>
        setImmediate(() => {
          resolve(currentCorrelation()?.correlationId);
        }),
      );
      return [currentCorrelation()?.correlationId, fromTimer];
    });
    expect(seen).toEqual(['req-1', 'req-1']);
    expect(currentCorrelation()).toBeUndefined();
  });

  it('keeps concurrent units of work apart', async () => {
    const run = (id: string, wait: number): Promise<string | undefined> =>
      withCorrelation({ correlationId: id }, async () => {
        await sleep(wait);
        return currentCorrelation()?.correlationId;
      });
    expect(await Promise.all([run('a', 5), run('b', 1), run('c', 3)])).toEqual(['a', 'b', 'c']);
  });

  it('generates a UUID v4 when no id is given and none surrounds', () => {
    const id = withCorrelation({}, () => currentCorrelation()?.correlationId);
    expect(id).toMatch(UUID_V4);
    expect(newCorrelationId()).toMatch(UUID_V4);
    expect(newCorrelationId()).not.toBe(newCorrelationId());
  });

  it('inherits the surrounding id and trace unless overridden', () => {
    const inner = withCorrelation({ correlationId: 'outer', traceparent: 'tp-1' }, () =>
      withCorrelation({ causationId: 'event-9' }, () => currentCorrelation()),
    );
    expect(inner).toEqual({ correlationId: 'outer', traceparent: 'tp-1', causationId: 'event-9' });
    const overridden = withCorrelation({ correlationId: 'outer' }, () =>
      withCorrelation({ correlationId: 'inner' }, () => currentCorrelation()?.correlationId),
    );
    expect(overridden).toBe('inner');
  });

  it('rejects an empty correlation id with a TypeError', () => {
    expect(() => withCorrelation({ correlationId: '' }, () => 1)).toThrow(TypeError);
  });

  it('returns what fn returns, sync or async, and does not mutate the given context', async () => {
    const given = { correlationId: 'x' };
    expect(withCorrelation(given, () => 42)).toBe(42);
    await expect(withCorrelation(given, () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(given).toEqual({ correlationId: 'x' });
  });
});

describe('deadlines in the correlation context', () => {
  it('inherits the outer deadline and only ever shortens it', () => {
    const seen = withCorrelation({ correlationId: 'a', deadlineAt: 2_000 }, () => [
      currentCorrelation()?.deadlineAt,
      withCorrelation({}, () => currentCorrelation()?.deadlineAt),
      withCorrelation({ deadlineAt: 1_000 }, () => currentCorrelation()?.deadlineAt),
      withCorrelation({ deadlineAt: 5_000 }, () => currentCorrelation()?.deadlineAt),
    ]);
    expect(seen).toEqual([2_000, 2_000, 1_000, 2_000]);
    expect(withCorrelation({}, () => currentCorrelation())).not.toHaveProperty('deadlineAt');
  });
});
