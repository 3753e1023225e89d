import { Command } from 'ioredis';
import type { RedisClient } from './connection.js';

type CommandOptions = ConstructorParameters<typeof Command>[2];

/**
 * Makes ioredis `Command`s for one client the way its `call()` and
 * `callBuffer()` do, without their cost per command (the arguments copied,
 * the options object made again, a promise wrapped around the reply).
 * Holding the `Command` also lets its caller reject it (a deadline, a stop),
 * instead of racing a promise of its own against it: ioredis then ignores a
 * reply that comes later, as after its own `commandTimeout`.
 */
export class CommandFactory {
  readonly #client: RedisClient;
  readonly #utf8: CommandOptions;
  readonly #buffer: CommandOptions;

  constructor(client: RedisClient) {
    this.#client = client;
    const { keyPrefix } = client.options;
    const prefixed = keyPrefix === undefined ? {} : { keyPrefix };
    this.#utf8 = { ...prefixed, replyEncoding: 'utf8' };
    this.#buffer = { ...prefixed, replyEncoding: null };
  }

  /** A command whose reply comes as strings (`'utf8'`) or as Buffers (`null`), not yet sent. */
  make(name: string, args: (string | number)[], replyEncoding: 'utf8' | null): Command {
    const options = replyEncoding === null ? this.#buffer : this.#utf8;
    return new Command(
      name,
      args,
      // What call() adds: the error stack only when asked for (it costs a stack trace).
      this.#client.options.showFriendlyErrorStack === true
        ? { ...options, errorStack: new Error() }
        : options,
    );
  }
}
