import type { SchemaIssue } from '../errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** Runs a Standard Schema and normalises its issues' paths to plain keys. */
export async function validate(
  schema: StandardSchemaV1,
  value: unknown,
): Promise<{ value: unknown; issues?: undefined } | { issues: readonly SchemaIssue[] }> {
  const result = await schema['~standard'].validate(value);
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
