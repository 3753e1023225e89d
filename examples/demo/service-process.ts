import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root: where `node --import tsx` finds tsx and the tsconfig. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One JSON log line of a service (`shared/logger.ts`). */
export type LogEntry = { readonly msg?: string; readonly [key: string]: unknown };

export type ServiceProcessOptions = {
  /** The name the service logs under: `<name> listening` says it is up. */
  readonly name: string;
  /** The `main.ts` to run, relative to {@link REPO_ROOT}, e.g. `examples/auth-service/main.ts`. */
  readonly script: string;
  /** Added to this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** @default 60_000 (tsx compiles at start; a loaded machine takes seconds) */
  readonly startTimeoutMs?: number;
  /** Every JSON line the service logs. */
  readonly onLog?: (entry: LogEntry) => void;
};

const OUTPUT_KEPT = 200;

/**
 * A service's `main.ts` as a child process (`node --import tsx <script>`),
 * started and restarted with the same environment. It gets an IPC channel, so
 * it shuts itself down if this process dies (`shared/run-service.ts`), and it
 * is SIGKILLed if this process exits while it runs.
 */
export class ServiceProcess {
  readonly name: string;
  readonly #options: ServiceProcessOptions;
  readonly #output: string[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<number | string> = Promise.resolve(0);
  #url: string | undefined;

  constructor(options: ServiceProcessOptions) {
    this.name = options.name;
    this.#options = options;
  }

  /** The process id of the current process, while it runs. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The URL it said it listens on. */
  get url(): string {
    if (this.#url === undefined) throw new Error(`${this.name} has not started`);
    return this.#url;
  }

  /** What it printed lately (its last lines), for error messages. */
  output(): string {
    return this.#output.join('\n');
  }

  /** Starts it and resolves once it logs that it listens; rejects (and kills it) otherwise. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', this.#options.script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.#options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.#child = child;
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        resolve(code ?? signal ?? 'unknown');
      });
    });
    let listening: ((url: string) => void) | undefined;
    const up = new Promise<string>((resolve) => {
      listening = resolve;
    });
    this.#readLines(child, (entry) => {
      if (entry.msg === `${this.name} listening` && typeof entry['url'] === 'string') {
        listening?.(entry['url']);
      }
      this.#options.onLog?.(entry);
    });

    const timeoutMs = this.#options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${this.name} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      void this.#exited.then((code) => {
        reject(new Error(`${this.name} exited (${String(code)}) before it listened`));
      });
    });
    try {
      this.#url = await Promise.race([up, failed]);
    } catch (error) {
      await this.kill();
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}; its output:\n${this.output()}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` (a crash, by default) and resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.#child?.kill(signal);
    await this.#exited;
  }

  /** SIGTERM (a graceful shutdown), SIGKILL after `timeoutMs`; resolves with the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | string> {
    if (this.running) {
      this.#child?.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.#child?.kill('SIGKILL');
      }, timeoutMs);
      try {
        await this.#exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.#exited;
  }

  #readLines(child: ChildProcess, onEntry: (entry: LogEntry) => void): void {
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#line(line, onEntry);
      });
    }
  }

  #line(line: string, onEntry: (entry: LogEntry) => void): void {
    this.#output.push(line);
    if (this.#output.length > OUTPUT_KEPT) this.#output.shift();
    if (!line.startsWith('{')) return;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    onEntry(entry);
  }
}
