import type { ConsumerCore } from './consumer-core.js';
import type { HeldMessage, StreamRef } from './held-message.js';
import type { StreamEntry } from './stream-reply.js';

/** What {@link Housekeeping} needs from its subscription besides the core. */
export type HousekeepingHost = ConsumerCore & {
  readonly blockMs: number;
  /** Every stream of the subscription: the topics' and their redrive streams. */
  readonly streams: readonly StreamRef[];
  /** Every message the consumer holds (buffered, running, waiting, being written). */
  held(): Iterable<HeldMessage>;
  freeSlots(): number;
  /** Takes messages over from a consumer that stopped renewing them. */
  takeOver(
    stream: StreamRef,
    entries: readonly { readonly entry: StreamEntry; readonly deliveryCount: number }[],
  ): void;
};

/**
 * The periodic work of one consumer of a group: renewing the lease of every
 * message it holds (`XCLAIM … JUSTID`, every third of `claimIdleMs`, so a
 * slow handler is never taken over while it is alive), and every half of
 * `claimIdleMs` a round that takes over messages idle for `claimIdleMs` on
 * consumers that stopped renewing them (`XAUTOCLAIM`), reads the group's
 * redriven letters, reads the lag, and now and then retires consumers long
 * silent.
 */
export class Housekeeping {
  readonly #host: HousekeepingHost;
  readonly #claimCursors = new Map<string, string>();
  #busy = false;
  #rounds = 0;
  #lag: number | undefined;
  #intervals: ReturnType<typeof setInterval>[] = [];

  constructor(host: HousekeepingHost) {
    this.#host = host;
  }

  /** Entries the group has not read yet, as of the last round; `undefined` when Redis cannot tell. */
  get lag(): number | undefined {
    return this.#lag;
  }

  start(): void {
    const { claimIdleMs } = this.#host.spec;
    const renew = setInterval(() => void this.#renewLeases(), Math.max(5, claimIdleMs / 3));
    const claim = setInterval(
      () => {
        this.#host.inBackground(this.#round());
      },
      Math.max(10, claimIdleMs / 2),
    );
    renew.unref();
    claim.unref();
    this.#intervals = [renew, claim];
  }

  stop(): void {
    for (const interval of this.#intervals) clearInterval(interval);
    this.#intervals = [];
  }

  async #renewLeases(): Promise<void> {
    const byStream = new Map<StreamRef, string[]>();
    for (const { stream, entryId } of this.#host.held()) {
      const ids = byStream.get(stream);
      if (ids === undefined) byStream.set(stream, [entryId]);
      else ids.push(entryId);
    }
    await Promise.all(
      [...byStream].map(([stream, ids]) =>
        this.#host.commands.renew(stream, ids).catch((error: unknown) => {
          this.#host.link.noteError(error);
        }),
      ),
    );
  }

  /** Take over abandoned messages (when slots are free), read redriven letters and the lag. */
  async #round(): Promise<void> {
    const host = this.#host;
    if (this.#busy || host.stopped()) return;
    this.#busy = true;
    try {
      for (const stream of host.streams) {
        if (host.stopped()) break;
        if (host.freeSlots() > 0) await this.#claimAbandoned(stream);
        if (stream.redrive && host.freeSlots() > 0 && !host.stopped()) {
          const entries = await host.commands.readNew(stream, host.freeSlots());
          if (!host.abandoned()) for (const entry of entries) host.admit(stream, entry, 1);
        }
      }
      host.pump();
      const topicStreams = host.streams.filter((stream) => !stream.redrive);
      const lags = await Promise.all(topicStreams.map((s) => host.commands.lag(s)));
      lags.forEach(({ trimmed }, i) => {
        const stream = topicStreams[i];
        if (stream !== undefined) host.trimLosses.found(stream.topic, { unread: trimmed });
      });
      this.#lag = lags.some(({ lag }) => lag === undefined)
        ? undefined
        : lags.reduce<number>((sum, { lag }) => sum + (lag ?? 0), 0);
      // A live consumer reads at least every blockMs: far longer silence is a process gone.
      if (++this.#rounds % 10 === 0) {
        const silentMs = 10 * Math.max(host.spec.claimIdleMs, host.blockMs);
        for (const stream of host.streams) await host.commands.retireSilent(stream, silentMs);
      }
    } catch (error) {
      // NOGROUP included: the read loop re-creates the group.
      host.link.noteError(error);
    } finally {
      this.#busy = false;
    }
  }

  async #claimAbandoned(stream: StreamRef): Promise<void> {
    const host = this.#host;
    const { cursor, claimed, deleted } = await host.commands.claimIdle(
      stream,
      host.spec.claimIdleMs,
      this.#claimCursors.get(stream.key) ?? '0-0',
      host.freeSlots(),
    );
    this.#claimCursors.set(stream.key, cursor);
    if (!stream.redrive) host.trimLosses.found(stream.topic, { pending: deleted });
    if (!host.abandoned()) host.takeOver(stream, claimed);
  }
}
