import type { Exchange } from './http.js';

/**
 * Prints the demo's timeline: numbered steps, one line per request (method,
 * service, path, status, what it means, how long it took), and notes such as
 * breaker transitions, printed after the request during which they happened.
 */
export class Timeline {
  readonly #write: (line: string) => void;
  readonly #services: ReadonlyMap<string, string>;
  readonly #pending: string[] = [];
  #step = 0;

  constructor(services: Readonly<Record<string, string>>, write: (line: string) => void) {
    this.#write = write;
    this.#services = new Map(Object.entries(services));
  }

  line(text = ''): void {
    this.#write(text);
  }

  step(title: string): void {
    this.#flush();
    this.#step += 1;
    this.#write('');
    this.#write(`${this.#step}. ${title}`);
  }

  /** A note to print after the current request's line (e.g. a breaker that opened during it). */
  later(text: string): void {
    this.#pending.push(text);
  }

  note(text: string): void {
    this.#flush();
    this.#write(`   ${text}`);
  }

  request(exchange: Exchange, meaning: string, label = ''): void {
    const url = new URL(exchange.url);
    let service = url.origin;
    for (const [name, origin] of this.#services) if (origin === url.origin) service = name;
    const request = `${exchange.method.padEnd(5)} ${service} ${url.pathname}${label === '' ? '' : `  ${label}`}`;
    this.#write(
      `   ${request.padEnd(40)} → ${exchange.status}  ${meaning}  (${formatMs(exchange.ms)})`,
    );
    this.#flush();
  }

  json(value: unknown): void {
    for (const text of JSON.stringify(value, null, 2).split('\n')) this.#write(`     ${text}`);
  }

  #flush(): void {
    for (const text of this.#pending.splice(0)) this.#write(`   ${text}`);
  }
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
