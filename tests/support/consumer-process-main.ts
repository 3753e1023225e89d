/**
 * A consumer in a process of its own, for fault tests that SIGKILL consumers
 * (started by `consumer-process.ts`, never run by vitest itself). It joins a
 * consumer group on the Redis transport with an `EventSubscriber` handling
 * `ProductEvents.created`, and reports on stdout, one line each, so the test's
 * ledger sees what a crash cut short (stdout on a pipe is synchronous on
 * Linux: a line written before the kill reaches the parent):
 *
 * - `ready` once subscribed;
 * - `got <event id> <delivery count>`: the transport handed the event over
 *   (before dedupe: a duplicate shows here);
 * - `run <event id> <delivery count>`: the handler started (dedupe let it through);
 * - `done <event id>`: the handler finished its work;
 * - `recorded <event id>`: then dedupe recorded it as handled (or there is no
 *   dedupe): a redelivery after this is skipped, before it may run again;
 * - `note <json>`: a lifecycle event (reconnected, trimmed, possible data
 *   loss), or a warning or error the subscriber logged (`name: 'log'`, with
 *   its message and dedupe key: a failed dedupe completion is why a handler
 *   may run twice).
 *
 * After `stallAfter` handler runs, handlers never finish, so a kill lands with
 * events held. Exits when its stdin closes (the test process died) and stops
 * cleanly on SIGTERM.
 *
 * Usage: node --import tsx consumer-process-main.ts '<ConsumerProcessConfig as JSON>'
 */
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  redisTransport,
  type EventTransport,
  type Logger,
} from '../../src/index.js';
import type { ConsumerProcessConfig } from './consumer-process.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ConsumerProcessConfig;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The real Redis transport, with each message the subscriber gets reported first. */
function reporting(transport: EventTransport): EventTransport {
  return {
    kind: transport.kind,
    deadLetters: transport.deadLetters,
    publish: (topic, payload, options) => transport.publish(topic, payload, options),
    publishMany: (messages, options) => transport.publishMany(messages, options),
    subscribe: (spec, handler) =>
      transport.subscribe(spec, (message, signal) => {
        const { id } = JSON.parse(message.payload) as { id?: string };
        say(`got ${id ?? message.id} ${message.deliveryCount}`);
        return handler(message, signal);
      }),
    dedupeStore: () => {
      if (transport.dedupeStore === undefined) throw new Error('no dedupe store');
      return transport.dedupeStore();
    },
    health: () => transport.health(),
    close: () => transport.close(),
  };
}

const bus = new EventBus({
  source: config.consumer,
  transport: reporting(
    redisTransport({
      url: config.url,
      prefix: config.prefix,
      blockMs: config.blockMs,
      commandTimeoutMs: config.commandTimeoutMs,
    }),
  ),
});
const note = (level: string) => (context: object, message?: string) => {
  const { key } = context as { key?: unknown };
  say(`note ${JSON.stringify({ name: 'log', level, message, key })}`);
};
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: note('warn'),
  error: note('error'),
};
const subscriber = new EventSubscriber(bus, {
  logger,
  group: config.group,
  consumer: config.consumer,
  concurrency: config.concurrency,
  claimIdleMs: config.claimIdleMs,
  start: 'earliest',
  retryBaseDelayMs: 10,
  ...(config.dedupeTtlMs === undefined ? {} : { dedupe: { ttlMs: config.dedupeTtlMs } }),
});
let runs = 0;
subscriber.on(ProductEvents.created, async (event, { deliveryCount }) => {
  say(`run ${event.id} ${deliveryCount}`);
  if (++runs >= (config.stallAfter ?? Infinity)) await new Promise(() => undefined);
  if (config.handlerMs > 0) await new Promise((resolve) => setTimeout(resolve, config.handlerMs));
  say(`done ${event.id}`);
});
subscriber.events.on('delivered', ({ event }) => {
  say(`recorded ${event.id}`);
});
for (const name of ['reconnected', 'trimmed', 'possible-data-loss'] as const) {
  subscriber.events.on(name, (info) => {
    say(`note ${JSON.stringify({ name, ...info })}`);
  });
}
await subscriber.start();
say('ready');

const stop = async (): Promise<void> => {
  await subscriber.stop({ drain: false });
  await bus.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
// The test process is gone: so is this one.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
