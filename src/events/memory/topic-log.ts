/** One message in a topic's log. */
export type LogEntry = {
  /** Position in the log: 1, 2, 3, … (the id as a number). */
  readonly seq: number;
  readonly id: string;
  readonly topic: string;
  readonly payload: string;
};

/**
 * A topic's append-only log: ids increase by one from `"1"`, and only the
 * oldest entries are ever removed (by {@link TopicLog.trim}).
 */
export class TopicLog {
  readonly topic: string;
  #entries: LogEntry[] = [];
  #lastSeq = 0;

  constructor(topic: string) {
    this.topic = topic;
  }

  /** The newest entry's seq; 0 before the first append. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The oldest seq still held (`lastSeq + 1` when the log is empty). */
  get firstSeq(): number {
    return this.#entries[0]?.seq ?? this.#lastSeq + 1;
  }

  get length(): number {
    return this.#entries.length;
  }

  append(payload: string): LogEntry {
    const seq = ++this.#lastSeq;
    const entry: LogEntry = { seq, id: String(seq), topic: this.topic, payload };
    this.#entries.push(entry);
    return entry;
  }

  /** The entry at `seq`, if still held. Seqs are contiguous, so this is an index. */
  at(seq: number): LogEntry | undefined {
    return this.#entries[seq - this.firstSeq];
  }

  /** Drops the oldest entries below `keepFrom` while the log is longer than `maxLen`. */
  trim(maxLen: number, keepFrom: number): number {
    const excess = this.#entries.length - maxLen;
    if (excess <= 0) return 0;
    const droppable = Math.min(excess, Math.max(0, keepFrom - this.firstSeq));
    if (droppable > 0) this.#entries.splice(0, droppable);
    return droppable;
  }
}
