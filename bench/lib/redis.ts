import { Redis } from 'ioredis';

/** An ioredis client with an `'error'` listener (ioredis reports failed reconnects there). */
export function redisClient(url: string): Redis {
  const redis = new Redis(url);
  redis.on('error', (error) => {
    console.error('bench redis client:', error.message);
  });
  return redis;
}

/**
 * Redis's own CPU time (`INFO cpu`, user + system) over each round of a
 * contender, per operation: what a contender costs the server, which the
 * client's CPU column does not show. Wraps contenders; read with {@link ServerCpu.detail}.
 */
export class ServerCpu {
  readonly #admin: Redis;
  readonly #perOp = new Map<string, number[]>();
  #startedAt = 0;

  constructor(admin: Redis) {
    this.#admin = admin;
  }

  /** `contender` with its rounds (of `opsPerRound` operations each) measured on the server too. */
  track<C extends { readonly name: string; readonly afterRound?: () => Promise<unknown> }>(
    contender: C,
    opsPerRound: number,
  ): C & { readonly beforeRound: () => Promise<void> } {
    return {
      ...contender,
      beforeRound: async () => {
        this.#startedAt = await this.#used();
      },
      afterRound: async () => {
        const seconds = (await this.#used()) - this.#startedAt;
        const samples = this.#perOp.get(contender.name) ?? [];
        samples.push((seconds * 1e6) / opsPerRound);
        this.#perOp.set(contender.name, samples);
        await contender.afterRound?.();
      },
    };
  }

  /** `, Redis CPU <median> µs/<per>` for the details column (the warm-up round left out). */
  detail(name: string, per: string): string {
    const samples = (this.#perOp.get(name) ?? []).slice(1).sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)];
    return median === undefined ? '' : `, Redis CPU ${median.toFixed(1)} µs/${per}`;
  }

  async #used(): Promise<number> {
    const info = await this.#admin.info('cpu');
    const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
    return field('used_cpu_user') + field('used_cpu_sys');
  }
}

/** Deletes every key matching `pattern` (SCAN + UNLINK): a suite's own keys on a shared server. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Options of {@link RawStreamConsumer}. */
export type RawStreamConsumerOptions = {
  /** The streams to read; each gets the group, created at `$`. */
  readonly keys: readonly string[];
  readonly group: string;
  readonly consumer: string;
  /** Handlers in flight at most. */
  readonly concurrency: number;
  /** `XREADGROUP … BLOCK`, ms. */
  readonly blockMs: number;
  /** Gets each entry's value of `field`. */
  readonly field: string;
};

/**
 * A consumer-group loop as one would write it on raw ioredis: reads
 * (`XREADGROUP … COUNT <free slots> BLOCK`, on a duplicate connection of its
 * own) only as many entries as it has free handler slots, runs the handler on
 * each, frees the slot, then `XACK`s the entry on the given command
 * connection. With several keys, COUNT is split between them. No retries, no
 * claiming: a baseline, not a transport.
 */
export class RawStreamConsumer {
  readonly #redis: Redis;
  readonly #reader: Redis;
  readonly #options: RawStreamConsumerOptions;
  readonly #handler: (value: string) => Promise<void>;
  #running = 0;
  #unacked = 0;
  #stopped = false;
  #reading = false;
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();
  #readerId = 0;
  #failure: Error | undefined;

  constructor(
    redis: Redis,
    options: RawStreamConsumerOptions,
    handler: (value: string) => Promise<void>,
  ) {
    this.#redis = redis;
    this.#reader = redis.duplicate();
    this.#reader.on('error', () => undefined);
    this.#options = options;
    this.#handler = handler;
  }

  /** Entries read and not yet acknowledged; throws the first failure of a handler or an XACK. */
  get unacked(): number {
    if (this.#failure !== undefined) throw this.#failure;
    return this.#unacked;
  }

  async start(): Promise<void> {
    for (const key of this.#options.keys) {
      await this.#redis.xgroup('CREATE', key, this.#options.group, '$', 'MKSTREAM');
    }
    this.#readerId = await this.#reader.client('ID');
    this.#loop = this.#read();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#slotFreed?.();
    if (this.#reading) await this.#redis.client('UNBLOCK', this.#readerId);
    await this.#loop;
    await this.#reader.quit();
  }

  // A method, so TypeScript does not narrow the flag across awaits.
  #isStopped(): boolean {
    return this.#stopped;
  }

  async #read(): Promise<void> {
    const { keys, group, consumer, concurrency, blockMs } = this.#options;
    while (!this.#isStopped()) {
      const free = concurrency - this.#running;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        this.#slotFreed = undefined;
        continue;
      }
      this.#reading = true;
      const reply = (await this.#reader.xreadgroup(
        'GROUP', group, consumer, 'COUNT', Math.ceil(free / keys.length), 'BLOCK', blockMs,
        'STREAMS', ...keys, ...keys.map(() => '>'),
      )) as [string, [string, string[]][]][] | null; // prettier-ignore
      this.#reading = false;
      if (reply === null || this.#isStopped()) continue;
      for (const [key, entries] of reply) {
        for (const [id, fields] of entries) this.#run(key, id, fields);
      }
    }
  }

  #run(key: string, id: string, fields: string[]): void {
    this.#running += 1;
    this.#unacked += 1;
    const at = fields.indexOf(this.#options.field);
    void (async () => {
      try {
        await this.#handler(fields[at + 1] ?? '');
      } finally {
        this.#running -= 1;
        this.#slotFreed?.();
      }
      await this.#redis.xack(key, this.#options.group, id);
      this.#unacked -= 1;
    })().catch((error: unknown) => {
      this.#failure ??= error instanceof Error ? error : new Error(String(error));
    });
  }
}
