import type { SchemaIssue } from '../errors.js';
import type { StandardSchemaV1 } from '../standard-schema.js';

/** A schema's verdict with its issues' paths normalised to plain keys. */
export type SchemaResult =
  { value: unknown; issues?: undefined } | { issues: readonly SchemaIssue[] };

type RawResult = Awaited<ReturnType<StandardSchemaV1['~standard']['validate']>>;

/** Runs a Standard Schema and normalises its issues' paths to plain keys. */
export async function validate(schema: StandardSchemaV1, value: unknown): Promise<SchemaResult> {
  return normalise(await schema['~standard'].validate(value));
}

/**
 * Runs a Standard Schema that must answer synchronously (zod does for schemas
 * without async refinements). `what` names the schema in the error.
 *
 * @throws TypeError when the schema answers with a promise.
 */
export function validateSync(schema: StandardSchemaV1, value: unknown, what: string): SchemaResult {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    // Nobody will await it: keep a rejection from becoming an unhandled one.
    result.catch(() => undefined);
    throw new TypeError(`${what} validated asynchronously; event schemas must be synchronous`);
  }
  return normalise(result);
}

function normalise(result: RawResult): SchemaResult {
  if (result.issues === undefined) return { value: result.value };
  return {
    issues: result.issues.map((issue) => ({
      message: issue.message,
      path: (issue.path ?? []).map((segment) =>
        typeof segment === 'object' ? segment.key : segment,
      ),
    })),
  };
}
