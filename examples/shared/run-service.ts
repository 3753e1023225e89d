import type { Logger } from 'switchboard';
import type { ServiceHandle } from './listen.js';

export type RunServiceOptions = {
  readonly name: string;
  readonly logger: Logger;
  /** Starts the service. */
  readonly start: () => Promise<ServiceHandle>;
  /** Closes what `main` created for the service (registry, transport), after it stopped. */
  readonly cleanup: () => Promise<void>;
  /** @default 10_000 */
  readonly shutdownTimeoutMs?: number;
};

/**
 * What each `main.ts` does: starts the service, and on SIGTERM or SIGINT shuts
 * it down gracefully (stop accepting and finish requests in flight, drain
 * subscribers, close the bus), then closes the registry and the transport. The
 * process then exits by itself, having nothing left to do; a shutdown that
 * takes longer than `shutdownTimeoutMs`, or a second signal, exits at once
 * with code 1.
 *
 * Started by a parent with an IPC channel (the demo does), it also shuts down
 * when the parent goes away, however it died: no orphaned services.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { name, logger, cleanup } = options;
  let service: ServiceHandle;
  try {
    service = await options.start();
  } catch (error) {
    logger.error({ err: error }, `${name} failed to start`);
    await cleanup();
    process.exitCode = 1;
    return;
  }
  logger.info({ url: service.url, docs: `${service.url}/docs` }, `${name} listening`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `${name} shutting down`);
    const timer = setTimeout(() => {
      logger.error({}, 'shutdown timed out: exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 10_000);
    timer.unref();
    service
      .close()
      .then(cleanup)
      .then(
        () => {
          logger.info({}, `${name} stopped`);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exitCode = 1;
        },
      )
      .finally(() => {
        clearTimeout(timer);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.channel !== undefined) {
    // The channel must not keep the process alive; its end still tells us the parent is gone.
    process.channel.unref();
    process.once('disconnect', () => {
      if (!stopping) stop('SIGTERM');
    });
  }
}

/** `PORT` from the environment, or `fallback`. */
export function portFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  fallback: number,
): number {
  const value = env['PORT'];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`PORT must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}
