import { invalidOption } from '../../internal/options.js';

type Segments<Path extends string> = Path extends `${infer Head}/${infer Tail}`
  ? Head | Segments<Tail>
  : Path;

/**
 * The parameter names of a path template: each whole segment that starts with
 * `:` (the same rule as `createTestService` routes).
 *
 * @example
 * import type { PathParamNames } from 'switchboard';
 * type Names = PathParamNames<'/users/:id/posts/:postId'>; // 'id' | 'postId'
 */
export type PathParamNames<Path extends string> =
  Segments<Path> extends infer Segment ? (Segment extends `:${infer Name}` ? Name : never) : never;

/**
 * The values a path template needs, one per `:name` segment; a template known
 * only as `string` takes any names.
 *
 * @example
 * import type { PathParams } from 'switchboard';
 * const params: PathParams<'/users/:id'> = { id: 7 };
 */
export type PathParams<Path extends string> = string extends Path
  ? Readonly<Record<string, string | number>>
  : { readonly [Name in PathParamNames<Path>]: string | number };

/** The `:name` segments of `path`, in order. */
export function pathParamNames(path: string): string[] {
  return path
    .split('/')
    .filter((segment) => segment.startsWith(':') && segment.length > 1)
    .map((segment) => segment.slice(1));
}

/**
 * `path` with each `:name` segment replaced by its value, URI-encoded so a
 * value can never add a segment or a query string.
 *
 * @throws TypeError naming `what` when a parameter is missing or not a string or number.
 */
export function fillPath(
  path: string,
  params: Readonly<Record<string, unknown>> | undefined,
  what: string,
): string {
  return path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':') || segment.length === 1) return segment;
      const name = segment.slice(1);
      const value = params?.[name];
      if (typeof value !== 'string' && typeof value !== 'number') {
        return invalidOption(
          `${what}.${name}`,
          `expected a string or number for "${segment}" in ${path}`,
          TypeError,
        );
      }
      return encodeURIComponent(String(value));
    })
    .join('/');
}
