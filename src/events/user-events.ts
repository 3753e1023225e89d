import { z } from 'zod';
import { Changes, Id, Text } from './catalogue-fields.js';
import { defineEvent } from './define-event.js';

const subject = (data: { userId: number }): string => String(data.userId);

const created = defineEvent(
  'user.created',
  z.object({ userId: Id, email: z.email(), username: Text }),
  { subject },
);

const updated = defineEvent('user.updated', z.object({ userId: Id, changes: Changes }), {
  subject,
});

const login = defineEvent(
  'user.login',
  z.object({
    userId: Id,
    email: z.email(),
    /** When the user logged in, if it differs from the event's `time`. */
    at: z.iso.datetime({ offset: true }).optional(),
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  }),
  { subject },
);

/**
 * The seed's user events (topic `user`, version `'1'`, subject = the user id):
 * `created` (`user.created`), `updated` (`user.updated`), `login` (`user.login`).
 *
 * @example
 * import { UserEvents } from 'switchboard';
 * const event = UserEvents.created.create({ userId: 7, email: 'ada@example.com', username: 'ada' });
 */
export const UserEvents = { created, updated, login } as const;
