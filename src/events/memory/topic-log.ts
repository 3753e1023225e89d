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
  /** Held entries from index `#head` on; the slots before it are dropped ones, cleared. */
  #entries: (LogEntry | undefined)[] = [];
  #head = 0;
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
    return this.#lastSeq + 1 - this.length;
  }

  get length(): number {
    return this.#entries.length - this.#head;
  }

  append(payload: string): LogEntry {
    const seq = ++this.#lastSeq;
    const entry: LogEntry = { seq, id: String(seq), topic: this.topic, payload };
    this.#entries.push(entry);
    return entry;
  }

  /** The entry at `seq`, if still held. Seqs are contiguous, so this is an index. */
  at(seq: number): LogEntry | undefined {
    const offset = seq - this.firstSeq;
    return offset < 0 ? undefined : this.#entries[this.#head + offset];
  }

  /**
   * Drops the oldest entries below `keepFrom` while the log is longer than
   * `maxLen`. Dropping moves a head index; the array is compacted only once
   * the dropped slots outnumber the held ones, so a full log trimmed by one
   * entry per publish costs O(1) amortized, not a copy of the whole log.
   */
  trim(maxLen: number, keepFrom: number): number {
    const excess = this.length - maxLen;
    if (excess <= 0) return 0;
    const droppable = Math.min(excess, Math.max(0, keepFrom - this.firstSeq));
    if (droppable === 0) return 0;
    this.#entries.fill(undefined, this.#head, this.#head + droppable);
    this.#head += droppable;
    if (this.#head >= 1_024 && this.#head >= this.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return droppable;
  }
}
