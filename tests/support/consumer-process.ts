import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./consumer-process-main.ts', import.meta.url));

/** How the consumer process subscribes (see `consumer-process-main.ts`). */
export type ConsumerProcessConfig = {
  readonly url: string;
  readonly prefix: string;
  readonly group: string;
  /** The consumer's name in the group: restart with the same name to take back what it held. */
  readonly consumer: string;
  readonly concurrency: number;
  readonly claimIdleMs: number;
  readonly blockMs: number;
  readonly commandTimeoutMs: number;
  /** How long each handler works before it resolves. */
  readonly handlerMs: number;
  /** The subscriber's `dedupe.ttlMs`; no dedupe when absent. */
  readonly dedupeTtlMs?: number;
  /** After this many handler runs, handlers hang for ever (so a kill lands with events held). */
  readonly stallAfter?: number;
};

/** One line the consumer process reported, parsed. */
export type ConsumerReport =
  | { readonly kind: 'got'; readonly id: string; readonly deliveryCount: number }
  | { readonly kind: 'run'; readonly id: string; readonly deliveryCount: number }
  | { readonly kind: 'done'; readonly id: string }
  | { readonly kind: 'recorded'; readonly id: string }
  | { readonly kind: 'note'; readonly note: Readonly<Record<string, unknown>> };

/** A running consumer process; stop it by PID in teardown ({@link ConsumerProcess.kill}). */
export type ConsumerProcess = {
  readonly pid: number;
  readonly consumer: string;
  /** Settles once the process exited and every line it wrote was reported. */
  readonly closed: Promise<void>;
  /** SIGKILL, as a crash; resolves once every line it wrote was reported. Idempotent. */
  kill(): Promise<void>;
};

/**
 * Starts `consumer-process-main.ts` in a process of its own and resolves once
 * it has subscribed; `onReport` gets every line it writes after that, in
 * order, including those written just before a kill.
 *
 * @throws {Error} when the process exits, or is not ready within `readyTimeoutMs`.
 */
export async function startConsumerProcess(
  config: ConsumerProcessConfig,
  onReport: (report: ConsumerReport) => void,
  readyTimeoutMs = 30_000,
): Promise<ConsumerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the consumer process did not start');
  const closed = once(child, 'close').then(() => undefined);
  const kill = (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    return closed;
  };
  let ready!: () => void;
  const readyNow = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') ready();
    else onReport(parse(line));
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      readyNow,
      closed.then(() => {
        throw new Error(`consumer process ${config.consumer} exited before it was ready`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new Error(`consumer process ${config.consumer} not ready in ${readyTimeoutMs} ms`),
          );
        }, readyTimeoutMs);
      }),
    ]);
  } catch (error) {
    await kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { pid, consumer: config.consumer, closed, kill };
}

function parse(line: string): ConsumerReport {
  const [kind, id = '', count = '1'] = line.split(' ');
  if (kind === 'got' || kind === 'run') return { kind, id, deliveryCount: Number(count) };
  if (kind === 'done' || kind === 'recorded') return { kind, id };
  if (kind === 'note') {
    return { kind, note: JSON.parse(line.slice('note '.length)) as Record<string, unknown> };
  }
  throw new Error(`the consumer process wrote an unknown line: ${line}`);
}
