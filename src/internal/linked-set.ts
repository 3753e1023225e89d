/**
 * An entry of a {@link LinkedSet}. The set's links live on the entry itself,
 * so adding allocates nothing and removing leaves no reference behind.
 */
export abstract class Linked {
  prev: Linked | undefined = undefined;
  next: Linked | undefined = undefined;
  owner: LinkedSet<Linked> | undefined = undefined;
}

/**
 * A set of entries in insertion order, for what churns on a hot path (a
 * command per publish, awaiting its reply). Unlike `Set`, it never holds an
 * entry it no longer contains.
 *
 * Why not `Set`: V8 grows and compacts a `Set` by copying its live entries
 * into a new table, and leaves the retired table as it was. A retired table
 * that had been promoted to the old generation keeps every entry it held
 * alive through every young-generation collection until the next full one.
 * With a hundred publishes in flight, a `Set` of their commands had each
 * command (its arguments, the encoded event, its promise) promoted: about
 * 780 bytes a publish, and more than twice the collector's time per publish
 * (ADR 0025).
 */
export class LinkedSet<T extends Linked> implements Iterable<T> {
  #head: Linked | undefined;
  #tail: Linked | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `entry` at the end; an entry of this set or another stays where it is. */
  add(entry: T): void {
    if (entry.owner !== undefined) return;
    entry.owner = this;
    entry.prev = this.#tail;
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    this.#size++;
  }

  /** Removes `entry`; false when it was not in this set. */
  delete(entry: T): boolean {
    if (entry.owner !== this) return false;
    const { prev, next } = entry;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
    entry.owner = undefined;
    this.#size--;
    return true;
  }

  /** Empties the set and returns what it held, in insertion order. */
  clear(): T[] {
    const entries = [...this];
    for (const entry of entries) this.delete(entry);
    return entries;
  }

  /**
   * The entries in insertion order. The loop may delete entries: one deleted
   * before the loop reaches it is not visited. Deleting both the entry it is
   * at and the one after it ends the loop there.
   */
  *[Symbol.iterator](): Iterator<T> {
    let entry = this.#head;
    while (entry !== undefined) {
      const next = entry.next;
      yield entry as T;
      // Deleted meanwhile, the entry's links are cleared: go on from the one
      // that followed it, unless that one is gone too.
      entry = entry.owner === this ? entry.next : next;
      if (entry?.owner !== this) return;
    }
  }
}
