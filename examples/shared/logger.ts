import type { Logger } from 'switchboard';

/**
 * A logger of switchboard's (and pino's) shape that writes one JSON line per
 * entry to stdout; what the services' `main.ts` use. Pass a pino logger
 * instead in a real service.
 */
export function jsonLogger(service: string, level: 'debug' | 'info' = 'info'): Logger {
  const write =
    (name: string) =>
    (context: Record<string, unknown>, message?: string): void => {
      const entry = {
        level: name,
        time: new Date().toISOString(),
        service,
        msg: message,
        ...context,
      };
      process.stdout.write(`${JSON.stringify(entry, errorReplacer)}\n`);
    };
  const skip = (): void => undefined;
  return {
    debug: level === 'debug' ? write('debug') : skip,
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  }
  return value;
}
