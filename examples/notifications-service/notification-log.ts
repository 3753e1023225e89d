import { z } from 'zod';

export const Notification = z.object({
  id: z.number().int(),
  /** The event's type, e.g. `product.created`. */
  type: z.string(),
  eventId: z.string(),
  /** The correlation id the handler ran with: the one of the request that caused the event. */
  correlationId: z.string(),
  /** The id of the event that caused it. */
  causationId: z.string().optional(),
  message: z.string(),
  /** The user the event is about, from the auth service. */
  user: z
    .object({ id: z.number().int(), username: z.string(), fullName: z.string().nullable() })
    .nullable(),
  enrichment: z.enum(['complete', 'unavailable']),
  degradedReason: z.string().optional(),
  receivedAt: z.string(),
});
export type Notification = z.infer<typeof Notification>;

/** The notifications "sent" (recorded here, in memory; the newest `limit` kept). */
export class NotificationLog {
  readonly #entries: Notification[] = [];
  readonly #limit: number;
  #nextId = 1;

  constructor(limit = 1_000) {
    this.#limit = limit;
  }

  add(entry: Omit<Notification, 'id' | 'receivedAt'>): Notification {
    const notification = { ...entry, id: this.#nextId++, receivedAt: new Date().toISOString() };
    this.#entries.push(notification);
    if (this.#entries.length > this.#limit) this.#entries.shift();
    return notification;
  }

  list(
    filter: {
      readonly correlationId?: string | undefined;
      readonly type?: string | undefined;
    } = {},
  ): Notification[] {
    return this.#entries.filter(
      (entry) =>
        (filter.correlationId === undefined || entry.correlationId === filter.correlationId) &&
        (filter.type === undefined || entry.type === filter.type),
    );
  }
}
