import type { LiveInstance } from './live-instance.js';

/** The registry's instances, by id and by service (in registration order). */
export class InstanceTable {
  readonly #byId = new Map<string, LiveInstance>();
  // Arrays are replaced, never mutated: a caller iterating one is never disturbed.
  readonly #byService = new Map<string, readonly LiveInstance[]>();

  get(id: string): LiveInstance | undefined {
    return this.#byId.get(id);
  }

  /** True while `instance` itself (not a later one with its id) is registered. */
  holds(instance: LiveInstance): boolean {
    return this.#byId.get(instance.id) === instance;
  }

  /** The instances of `name`; `undefined` when the service has none. */
  service(name: string): readonly LiveInstance[] | undefined {
    return this.#byService.get(name);
  }

  services(): string[] {
    return [...this.#byService.keys()];
  }

  all(): LiveInstance[] {
    return [...this.#byId.values()];
  }

  add(instance: LiveInstance): void {
    this.#byId.set(instance.id, instance);
    this.#byService.set(instance.name, [...(this.#byService.get(instance.name) ?? []), instance]);
  }

  remove(instance: LiveInstance): void {
    this.#byId.delete(instance.id);
    const rest = (this.#byService.get(instance.name) ?? []).filter((i) => i !== instance);
    if (rest.length === 0) this.#byService.delete(instance.name);
    else this.#byService.set(instance.name, rest);
  }
}
