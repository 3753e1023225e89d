/**
 * The one import of mitt. Its `index.d.ts` declares `export default function
 * mitt` while its ESM build is what NodeNext resolves, so calling the default
 * import fails to type-check (`TS2349: This expression is not callable`). The
 * cast lives here once, together with the only mitt types the library uses;
 * nothing of mitt leaks into the public API.
 */
import mittModule from 'mitt';

/** A handler for one event type. */
export type MittHandler<T> = (event: T) => void;

/** The part of mitt's emitter the library uses. */
export type Mitt<Events extends Record<string, unknown>> = {
  on<K extends keyof Events>(type: K, handler: MittHandler<Events[K]>): void;
  off<K extends keyof Events>(type: K, handler?: MittHandler<Events[K]>): void;
  emit<K extends keyof Events>(type: K, event: Events[K]): void;
  readonly all: { clear(): void };
};

type MittFactory = <Events extends Record<string, unknown>>() => Mitt<Events>;

// Under NodeNext the default import is typed as the module namespace, not the function.
const factory = ((mittModule as unknown as { default?: MittFactory }).default ??
  (mittModule as unknown as MittFactory)) satisfies MittFactory;

/** A new mitt emitter. */
export function createMitt<Events extends Record<string, unknown>>(): Mitt<Events> {
  return factory<Events>();
}
