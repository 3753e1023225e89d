import { isSwitchboardError } from 'switchboard';

/**
 * What a publisher learned about one publish: stored (`'ok'`), refused
 * (`'failed'`), or timed out (`'unknown'`: it may or may not be stored).
 */
export type PublishOutcome = 'ok' | 'failed' | 'unknown';

/** How a tracked publish settled; {@link Ledger.track} resolves with it and never rejects. */
export type TrackedPublish<T> =
  | { readonly outcome: 'ok'; readonly value: T }
  | { readonly outcome: 'failed' | 'unknown'; readonly error: unknown };

/** The time from one fault to its resume (see {@link FaultOptions}); `undefined` when it never resumed. */
export type ResumeTime = { readonly fault: string; readonly ms: number | undefined };

/** What counts as the end of a fault, for {@link Ledger.fault}. */
export type FaultOptions = {
  /**
   * Who must work again: these consumers, each delivering something at or
   * after the fault (the slowest one sets the time), or `'publisher'`, the
   * first publish sent at or after it to be acknowledged.
   * @default the first delivery by any consumer
   */
  readonly resumedBy?: readonly string[] | 'publisher';
  /**
   * Count only deliveries of events sent (and acknowledged) at or after the
   * fault: one read before the fault, whose report arrives after it, or one
   * stored before it whose acknowledgement was noted late, is no resume.
   * @default false
   */
  readonly newEventsOnly?: boolean;
};

/** The verdict of {@link Ledger.check}. */
export type LedgerReport = {
  /** Distinct ids per outcome (an id published twice counts once, with its best outcome). */
  readonly published: { readonly ok: number; readonly failed: number; readonly unknown: number };
  /** Every delivery recorded, duplicates included. */
  readonly delivered: number;
  /** `'ok'` publishes never delivered, in publish-time order: the bug a fault test hunts. */
  readonly lost: readonly string[];
  /** Ids delivered more than once → the consumer of each delivery, in order. */
  readonly duplicated: ReadonlyMap<string, readonly string[]>;
  /** Ids delivered but never published at all, in first-delivery order. */
  readonly unexpected: readonly string[];
  /** One entry per {@link Ledger.fault}, in the order recorded. */
  readonly resumeMs: readonly ResumeTime[];
};

// When one id is published twice (a retried publish), the most certain
// outcome wins: one stored copy is enough to make a missing delivery a loss.
const RANK: Record<PublishOutcome, number> = { failed: 0, unknown: 1, ok: 2 };
const SHOWN_IDS = 5;
/** Faults listed one by one in `line()`; past this, their spread. */
const MAX_LISTED = 5;

/**
 * A Jepsen-style record of a fault test on the event bus: what was published,
 * what each consumer received and when faults hit, checked at the end for
 * lost, duplicated and unexpected events and the time to resume after each
 * fault.
 *
 * Only `'ok'` publishes can be lost. A `'failed'` or `'unknown'` publish may
 * still have been stored (the reply, not the write, may be what failed), so
 * its delivery is neither lost nor unexpected; `unexpected` is reserved for ids
 * nobody ever tried to publish. Use one ledger per consumer group: a second
 * group receiving the same event would look like a duplicate.
 *
 * @example
 * import { Ledger } from './ledger.js';
 * const ledger = new Ledger();
 * await ledger.track(event.id, bus.publish(event));
 * ledger.delivered(event.id, 'consumer-1');
 * await ledger.settled();
 * console.log(ledger.line());
 * expect(ledger.check().lost).toEqual([]);
 */
export class Ledger {
  readonly #publishes = new Map<
    string,
    { outcome: PublishOutcome; at: number; startedAt: number }
  >();
  readonly #deliveries = new Map<string, { consumer: string; at: number }[]>();
  readonly #faults: ({ name: string; at: number } & FaultOptions)[] = [];
  readonly #pending = new Set<Promise<unknown>>();

  /**
   * Records a publish's outcome; `at` (epoch ms) orders the `lost` list, and
   * `startedAt`, when the publish was sent, tells events sent after a fault
   * (see {@link FaultOptions.newEventsOnly}).
   */
  published(
    id: string,
    outcome: PublishOutcome,
    at: number = Date.now(),
    startedAt: number = at,
  ): void {
    const before = this.#publishes.get(id);
    if (before === undefined || RANK[outcome] > RANK[before.outcome]) {
      this.#publishes.set(id, { outcome, at, startedAt });
    }
  }

  /**
   * When the outcome recorded for `id` was learnt (epoch ms; for `'ok'`, when
   * the publish was acknowledged), or `undefined` for an id never published:
   * what a test compares with the time of a crash.
   */
  publishedAt(id: string): number | undefined {
    return this.#publishes.get(id)?.at;
  }

  /**
   * Records `publish` when it settles: fulfilled → `'ok'`, rejected with a
   * switchboard `TIMEOUT` → `'unknown'`, any other rejection → `'failed'`.
   * Resolves with how it settled and never rejects, so a fault test can fire
   * thousands of publishes without a try/catch each.
   */
  async track<T>(id: string, publish: PromiseLike<T>): Promise<TrackedPublish<T>> {
    const settled = this.#settle(id, publish);
    this.#pending.add(settled);
    try {
      return await settled;
    } finally {
      this.#pending.delete(settled);
    }
  }

  /** Resolves once every {@link track}ed publish has settled; call it before {@link check}. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Records that `consumer` received `id`; `at` is epoch ms. */
  delivered(id: string, consumer: string, at: number = Date.now()): void {
    const deliveries = this.#deliveries.get(id);
    if (deliveries === undefined) this.#deliveries.set(id, [{ consumer, at }]);
    else deliveries.push({ consumer, at });
  }

  /**
   * Records a fault (a connection reset, a Redis restart) so {@link check} can
   * time the resume; `at` is when it hit, or when it ended (a healed network,
   * a restarted process), whichever the test wants timed.
   */
  fault(name: string, at: number = Date.now(), options: FaultOptions = {}): void {
    this.#faults.push({ ...options, name, at });
  }

  /** When `fault` (the last recorded under that name) resumed, in ms after it; `undefined` while it has not. */
  resumedAfter(fault: string): number | undefined {
    const recorded = this.#faults.findLast(({ name }) => name === fault);
    return recorded === undefined ? undefined : this.#resume(recorded);
  }

  /**
   * Compares publishes with deliveries.
   *
   * @throws {Error} while a {@link track}ed publish is still pending: its
   *   delivery would otherwise count as unexpected. Await {@link settled} first.
   */
  check(): LedgerReport {
    if (this.#pending.size > 0) {
      throw new Error(
        `${this.#pending.size} tracked publishes are still pending: await ledger.settled() before check()`,
      );
    }
    const published = { ok: 0, failed: 0, unknown: 0 };
    for (const { outcome } of this.#publishes.values()) published[outcome] += 1;

    const lost = [...this.#publishes]
      .filter(([id, { outcome }]) => outcome === 'ok' && !this.#deliveries.has(id))
      .sort(([, a], [, b]) => a.at - b.at)
      .map(([id]) => id);

    let delivered = 0;
    const duplicated = new Map<string, readonly string[]>();
    const unexpected: string[] = [];
    for (const [id, deliveries] of this.#deliveries) {
      delivered += deliveries.length;
      if (deliveries.length > 1)
        duplicated.set(
          id,
          deliveries.map((d) => d.consumer),
        );
      if (!this.#publishes.has(id)) unexpected.push(id);
    }

    const resumeMs = this.#faults.map((fault): ResumeTime => ({
      fault: fault.name,
      ms: this.#resume(fault),
    }));
    return { published, delivered, lost, duplicated, unexpected, resumeMs };
  }

  /**
   * The report as a table for a long run: one row per fault with when it hit
   * (seconds after `startedAt`) and its time to resume, then {@link line}.
   *
   * @throws {Error} as {@link check} does.
   */
  table(startedAt: number): string {
    const report = this.check();
    const width = Math.max(5, ...this.#faults.map(({ name }) => name.length));
    const rows = this.#faults.map(({ name, at }, index) => {
      const ms = report.resumeMs[index]?.ms;
      const when = `${((at - startedAt) / 1_000).toFixed(1)} s`.padStart(8);
      return `${name.padEnd(width)}  ${when}  ${ms === undefined ? 'never' : `${ms} ms`}`;
    });
    return [
      `${'fault'.padEnd(width)}  ${'at'.padStart(8)}  resumed after`,
      ...rows,
      this.line(),
    ].join('\n');
  }

  // Faults are few and deliveries many: one scan per fault is plenty.
  #resume({
    at,
    resumedBy,
    newEventsOnly = false,
  }: { at: number } & FaultOptions): number | undefined {
    let first: number;
    if (resumedBy === 'publisher') {
      first = Infinity;
      for (const published of this.#publishes.values()) {
        // Sent after the fault: an acknowledgement noted late is no resume.
        if (published.outcome === 'ok' && published.startedAt >= at) {
          first = Math.min(first, published.at);
        }
      }
    } else {
      const counts = (id: string): boolean => {
        if (!newEventsOnly) return true;
        const published = this.#publishes.get(id);
        return published?.outcome === 'ok' && published.startedAt >= at;
      };
      // Every one of them must be back: the slowest sets the time.
      first =
        resumedBy === undefined
          ? this.#firstDelivery(at, counts, () => true)
          : Math.max(
              ...resumedBy.map((consumer) =>
                this.#firstDelivery(at, counts, (c) => c === consumer),
              ),
            );
    }
    return first === Infinity ? undefined : first - at;
  }

  #firstDelivery(
    at: number,
    counts: (id: string) => boolean,
    by: (consumer: string) => boolean,
  ): number {
    let first = Infinity;
    for (const [id, deliveries] of this.#deliveries) {
      if (!counts(id)) continue;
      for (const delivery of deliveries) {
        if (delivery.at >= at && delivery.at < first && by(delivery.consumer)) first = delivery.at;
      }
    }
    return first;
  }

  /**
   * The report on one line, for a test to print, e.g.
   * `ledger: 10000 ok / 0 failed / 3 unknown published; 10004 delivered; lost 0;
   * duplicated 4; unexpected 0; resume after reset-1 120 ms`.
   * Lists the first few lost and unexpected ids.
   *
   * @throws {Error} as {@link check} does.
   */
  line(): string {
    const report = this.check();
    const { ok, failed, unknown } = report.published;
    const parts = [
      `ledger: ${ok} ok / ${failed} failed / ${unknown} unknown published`,
      `${report.delivered} delivered`,
      `lost ${withIds(report.lost)}`,
      `duplicated ${report.duplicated.size}`,
      `unexpected ${withIds(report.unexpected)}`,
    ];
    if (report.resumeMs.length > MAX_LISTED) {
      // Many faults (a reset storm): the spread, and any that never resumed.
      const times = report.resumeMs.flatMap(({ ms }) => (ms === undefined ? [] : [ms]));
      times.sort((x, y) => x - y);
      const never = report.resumeMs.length - times.length;
      const median = times[Math.floor(times.length / 2)];
      parts.push(
        `resume after ${report.resumeMs.length} faults: median ${median ?? '–'} ms, max ${times.at(-1) ?? '–'} ms${never > 0 ? `, never ${never}` : ''}`,
      );
    } else if (report.resumeMs.length > 0) {
      const resumes = report.resumeMs.map(
        ({ fault, ms }) => `after ${fault} ${ms === undefined ? 'never' : `${ms} ms`}`,
      );
      parts.push(`resume ${resumes.join(', ')}`);
    }
    return parts.join('; ');
  }

  async #settle<T>(id: string, publish: PromiseLike<T>): Promise<TrackedPublish<T>> {
    const startedAt = Date.now();
    try {
      const value = await publish;
      this.published(id, 'ok', Date.now(), startedAt);
      return { outcome: 'ok', value };
    } catch (error) {
      // A timed-out publish may have reached Redis before the reply was lost.
      const outcome = isSwitchboardError(error, 'TIMEOUT') ? 'unknown' : 'failed';
      this.published(id, outcome, Date.now(), startedAt);
      return { outcome, error };
    }
  }
}

// `3 (e-1, e-2, e-3)`; a count alone when there is nothing to show.
function withIds(ids: readonly string[]): string {
  if (ids.length === 0) return '0';
  const shown = ids.slice(0, SHOWN_IDS).join(', ');
  return `${ids.length} (${shown}${ids.length > SHOWN_IDS ? ', …' : ''})`;
}
