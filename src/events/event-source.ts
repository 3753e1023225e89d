/**
 * Where to subscribe to an object's typed lifecycle events: `on(name, fn)`
 * returns the unsubscribe function; a wrong name or payload is a compile error.
 *
 * @example
 * import { EventBus, EventSubscriber, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'mailer', transport: memoryTransport() });
 * const subscriber = new EventSubscriber(bus, { group: 'mailer' });
 * const off = subscriber.events.on('handler-failed', ({ error }) => console.error(error));
 * off();
 */
export type EventSource<Events extends Record<string, unknown>> = {
  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): () => void;
};
