import { EventBus, type EventTransport, type Logger } from 'switchboard';

/**
 * How a service gets its events: a bus of its own over a transport it shares
 * (`transport`: the service creates the bus and closes it; the caller closes
 * the transport), or a ready bus (`bus`: e.g. `createRecordingBus()` in tests;
 * the caller closes it).
 */
export type EventsOption =
  | { readonly transport: EventTransport; readonly bus?: never }
  | { readonly bus: EventBus; readonly transport?: never };

/** The bus a service publishes and subscribes on, and whether the service owns it. */
export function busFor(
  source: string,
  options: EventsOption,
  logger: Logger,
): { readonly bus: EventBus; readonly owned: boolean } {
  if (options.bus !== undefined) return { bus: options.bus, owned: false };
  return {
    bus: new EventBus({ source, transport: options.transport, ownsTransport: false, logger }),
    owned: true,
  };
}
