import { z } from 'zod';

/** The JSON body of every error answer of the example services. */
export const ErrorBodySchema = z.object({
  /** A stable, machine-readable kind: `bad_request`, `unauthorized`, `forbidden`, … */
  error: z.string(),
  message: z.string(),
  /** The request's correlation id, to find it in logs. */
  correlationId: z.string(),
  /** The service that could not be reached, for `dependency_unavailable`. */
  dependency: z.string().optional(),
  /** switchboard's error code behind a `dependency_unavailable` (`CIRCUIT_OPEN`, …). */
  reason: z.string().optional(),
  /** When the dependency is worth trying again, when known. */
  retryAfterMs: z.number().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** A positive integer id in a path, e.g. `/users/:id`. */
export const IdParams = z.object({ id: z.coerce.number().int().positive() });
