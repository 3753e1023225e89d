import { NetworkError, TimeoutError } from 'switchboard';
import { describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';

describe('Ledger.check', () => {
  it('counts each outcome and every delivery, and finds nothing wrong in a clean run', () => {
    const ledger = new Ledger();
    ledger.published('a', 'ok', 1);
    ledger.published('b', 'ok', 2);
    ledger.published('c', 'failed', 3);
    ledger.published('d', 'unknown', 4);
    ledger.delivered('a', 'c1', 10);
    ledger.delivered('b', 'c2', 11);

    expect(ledger.check()).toEqual({
      published: { ok: 2, failed: 1, unknown: 1 },
      delivered: 2,
      lost: [],
      duplicated: new Map(),
      unexpected: [],
      resumeMs: [],
    });
  });

  it('reports ok publishes never delivered as lost, in publish-time order', () => {
    const ledger = new Ledger();
    ledger.published('late', 'ok', 20);
    ledger.published('early', 'ok', 10);
    ledger.published('kept', 'ok', 15);
    ledger.delivered('kept', 'c1');

    expect(ledger.check().lost).toEqual(['early', 'late']);
  });

  it('tells when the outcome it kept for an id was learnt', () => {
    const ledger = new Ledger();
    ledger.published('a', 'unknown', 5);
    ledger.published('a', 'ok', 9);
    ledger.published('a', 'failed', 12);

    expect(ledger.publishedAt('a')).toBe(9);
    expect(ledger.publishedAt('never')).toBeUndefined();
  });

  it('never counts a failed or unknown publish as lost', () => {
    const ledger = new Ledger();
    ledger.published('refused', 'failed');
    ledger.published('timed-out', 'unknown');

    expect(ledger.check().lost).toEqual([]);
  });

  it('counts a delivered unknown or failed publish as neither lost nor unexpected', () => {
    const ledger = new Ledger();
    ledger.published('timed-out', 'unknown');
    ledger.published('refused', 'failed');
    ledger.delivered('timed-out', 'c1');
    ledger.delivered('refused', 'c1');

    const report = ledger.check();
    expect(report.lost).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.delivered).toBe(2);
  });

  it('reports ids delivered more than once with the consumer of each delivery', () => {
    const ledger = new Ledger();
    ledger.published('a', 'ok');
    ledger.published('b', 'ok');
    ledger.published('u', 'unknown');
    ledger.delivered('a', 'c1');
    ledger.delivered('a', 'c1');
    ledger.delivered('b', 'c1');
    ledger.delivered('u', 'c1');
    ledger.delivered('u', 'c2');
    ledger.delivered('u', 'c1');

    const report = ledger.check();
    expect(report.duplicated).toEqual(
      new Map([
        ['a', ['c1', 'c1']],
        ['u', ['c1', 'c2', 'c1']],
      ]),
    );
    expect(report.delivered).toBe(6);
  });

  it('reports ids delivered but never published as unexpected, once each', () => {
    const ledger = new Ledger();
    ledger.published('a', 'ok');
    ledger.delivered('a', 'c1');
    ledger.delivered('ghost', 'c1');
    ledger.delivered('ghost', 'c2');
    ledger.delivered('phantom', 'c1');

    const report = ledger.check();
    expect(report.unexpected).toEqual(['ghost', 'phantom']);
    expect(report.duplicated.get('ghost')).toEqual(['c1', 'c2']);
  });

  it('keeps the most certain outcome of an id published twice', () => {
    const ledger = new Ledger();
    ledger.published('retried', 'unknown', 1);
    ledger.published('retried', 'ok', 2);
    ledger.published('retried', 'failed', 3);
    ledger.published('twice-failed', 'failed');
    ledger.published('twice-failed', 'unknown');

    const report = ledger.check();
    expect(report.published).toEqual({ ok: 1, failed: 0, unknown: 1 });
    expect(report.lost).toEqual(['retried']);
  });

  it('times the resume after each fault from its first delivery at or after it', () => {
    const ledger = new Ledger();
    for (const id of ['a', 'b', 'c', 'd']) ledger.published(id, 'ok');
    ledger.delivered('a', 'c1', 1_000);
    ledger.fault('reset-1', 1_050);
    ledger.delivered('c', 'c1', 1_300); // recorded out of order: the earliest still wins
    ledger.delivered('b', 'c1', 1_170);
    ledger.fault('reset-2', 2_000);
    ledger.delivered('d', 'c1', 2_000);
    ledger.fault('pause-3', 5_000);

    expect(ledger.check().resumeMs).toEqual([
      { fault: 'reset-1', ms: 120 },
      { fault: 'reset-2', ms: 0 },
      { fault: 'pause-3', ms: undefined },
    ]);
  });
});

describe('Ledger.fault with resumedBy', () => {
  it('waits for every named consumer, and for an acknowledged publish when told', () => {
    const ledger = new Ledger();
    ledger.fault('redis-restart', 1_000, { resumedBy: ['c1', 'c2'] });
    ledger.fault('reset-c2', 1_000, { resumedBy: ['c2'] });
    ledger.fault('reset-publisher', 1_000, { resumedBy: 'publisher' });
    ledger.published('old', 'ok', 900);
    ledger.published('timed-out', 'unknown', 1_010);
    ledger.published('sent-before', 'ok', 1_020, 990); // acknowledged after, sent before
    ledger.published('new', 'ok', 1_040);
    ledger.delivered('old', 'c1', 1_100);
    expect(ledger.resumedAfter('redis-restart')).toBeUndefined();
    ledger.delivered('new', 'c2', 1_300);

    expect(ledger.check().resumeMs).toEqual([
      { fault: 'redis-restart', ms: 300 },
      { fault: 'reset-c2', ms: 300 },
      { fault: 'reset-publisher', ms: 40 },
    ]);
    expect(ledger.resumedAfter('reset-c2')).toBe(300);
    expect(ledger.resumedAfter('no such fault')).toBeUndefined();
  });

  it('counts only events acknowledged after the fault when told to', () => {
    const ledger = new Ledger();
    ledger.published('read-before', 'ok', 900);
    ledger.published('noted-late', 'ok', 1_005, 990); // sent before the fault
    ledger.published('new', 'ok', 1_100, 1_050);
    ledger.fault('reset-c1', 1_000, { resumedBy: ['c1'], newEventsOnly: true });
    ledger.delivered('read-before', 'c1', 1_010);
    ledger.delivered('noted-late', 'c1', 1_020);
    ledger.delivered('new', 'c1', 1_150);

    expect(ledger.resumedAfter('reset-c1')).toBe(150);
  });

  it('prints one row per fault, then the totals line', () => {
    const ledger = new Ledger();
    ledger.published('a', 'ok', 0);
    ledger.fault('reset-c1', 1_500, { resumedBy: ['c1'] });
    ledger.fault('sigkill-c2', 2_000, { resumedBy: ['c2'] });
    ledger.delivered('a', 'c1', 1_620);

    expect(ledger.table(0).split('\n')).toEqual([
      'fault             at  resumed after',
      'reset-c1       1.5 s  120 ms',
      'sigkill-c2     2.0 s  never',
      ledger.line(),
    ]);
  });
});

describe('Ledger.track', () => {
  it('records a fulfilled publish as ok and resolves with its value', async () => {
    const ledger = new Ledger();
    await expect(ledger.track('a', Promise.resolve('stored'))).resolves.toEqual({
      outcome: 'ok',
      value: 'stored',
    });
    expect(ledger.check().published).toEqual({ ok: 1, failed: 0, unknown: 0 });
  });

  it('records a switchboard timeout as unknown and resolves with the error', async () => {
    const ledger = new Ledger();
    const error = new TimeoutError('no reply', { timeoutMs: 100 });
    await expect(ledger.track('a', Promise.reject(error))).resolves.toEqual({
      outcome: 'unknown',
      error,
    });
    expect(ledger.check().published).toEqual({ ok: 0, failed: 0, unknown: 1 });
  });

  it('records any other rejection as failed, a plain error named TimeoutError included', async () => {
    const ledger = new Ledger();
    const network = new NetworkError('connection reset');
    const lookalike = Object.assign(new Error('slow'), { name: 'TimeoutError' });
    await expect(ledger.track('a', Promise.reject(network))).resolves.toEqual({
      outcome: 'failed',
      error: network,
    });
    await expect(ledger.track('b', Promise.reject(lookalike))).resolves.toMatchObject({
      outcome: 'failed',
    });
    expect(ledger.check().published).toEqual({ ok: 0, failed: 2, unknown: 0 });
  });

  it('refuses to check while a tracked publish is pending, and settled() waits for it', async () => {
    const ledger = new Ledger();
    let resolve = (): void => undefined;
    void ledger.track('a', new Promise<void>((done) => (resolve = done)));
    ledger.delivered('a', 'c1');

    expect(() => ledger.check()).toThrow(/1 tracked publishes are still pending/);
    resolve();
    await ledger.settled();
    expect(ledger.check()).toMatchObject({ lost: [], unexpected: [] });
  });
});

describe('Ledger.line', () => {
  it('summarises the report on one line', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 8; i += 1) ledger.published(`e-${i}`, 'ok', i);
    ledger.published('t-1', 'unknown');
    ledger.published('f-1', 'failed');
    ledger.delivered('e-0', 'c1', 100);
    ledger.delivered('e-0', 'c2', 400);
    ledger.delivered('t-1', 'c1', 300);
    ledger.delivered('x-1', 'c1', 200);
    ledger.fault('reset-1', 180);
    ledger.fault('reset-2', 1_000);

    expect(ledger.line()).toBe(
      'ledger: 8 ok / 1 failed / 1 unknown published; 4 delivered; ' +
        'lost 7 (e-1, e-2, e-3, e-4, e-5, …); duplicated 1; unexpected 1 (x-1); ' +
        'resume after reset-1 20 ms, after reset-2 never',
    );
  });

  it('sums up many faults as the spread of their resume times', () => {
    const ledger = new Ledger();
    ledger.published('a', 'ok', 0);
    for (let i = 1; i <= 7; i++) ledger.fault(`reset-${i}`, i * 100);
    ledger.delivered('a', 'c1', 110);
    ledger.delivered('b', 'c1', 650);

    // Resets 1–6 resume after 10, 450, 350, 250, 150 and 50 ms; reset 7 (at 700) never.
    expect(ledger.line()).toMatch(/resume after 7 faults: median 250 ms, max 450 ms, never 1$/);
  });

  it('leaves out the resume part when no fault was recorded', () => {
    const ledger = new Ledger();
    ledger.published('a', 'ok');
    ledger.delivered('a', 'c1');

    expect(ledger.line()).toBe(
      'ledger: 1 ok / 0 failed / 0 unknown published; 1 delivered; lost 0; duplicated 0; unexpected 0',
    );
  });
});
