/**
 * The logger shape the library accepts: pino's (and most others') four levels,
 * each taking a context object and an optional message. Pass a pino logger
 * (or a child of one) as it is.
 */
export type Logger = {
  debug(context: Record<string, unknown>, message?: string): void;
  info(context: Record<string, unknown>, message?: string): void;
  warn(context: Record<string, unknown>, message?: string): void;
  error(context: Record<string, unknown>, message?: string): void;
};

const ignore = (): void => undefined;

/** A logger that drops everything: the default, so logging costs nothing unless asked for. */
export const silentLogger: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});
