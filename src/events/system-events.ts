import { z } from 'zod';
import { Text } from './catalogue-fields.js';
import { defineEvent } from './define-event.js';

const subject = (data: { service: string }): string => data.service;

const healthCheck = defineEvent(
  'system.health_check',
  z.object({
    service: Text,
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
  { subject },
);

const error = defineEvent(
  'system.error',
  z.object({
    service: Text,
    message: Text,
    code: Text.optional(),
    // Optional: a stack trace can leak internals, so publishing it is the caller's choice.
    stack: z.string().optional(),
  }),
  { subject },
);

/**
 * The seed's system events (topic `system`, version `'1'`, subject = the
 * service): `healthCheck` (`system.health_check`), `error` (`system.error`).
 *
 * @example
 * import { SystemEvents } from 'switchboard';
 * const event = SystemEvents.healthCheck.create({ service: 'product', status: 'healthy' });
 */
export const SystemEvents = { healthCheck, error } as const;
