/** One request the demo made, as it prints it. */
export type Exchange = {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
  /** The `x-correlation-id` the service answered with. */
  readonly correlationId: string | null;
};

export type SendOptions = {
  readonly token?: string;
  readonly json?: unknown;
  /** Sent as `x-correlation-id`, so the demo can find the events the request caused. */
  readonly correlationId?: string;
};

/** Sends a request with the global fetch and times it (the body read included). */
export async function send(
  method: string,
  url: string,
  options: SendOptions = {},
): Promise<Exchange> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.correlationId !== undefined) headers['x-correlation-id'] = options.correlationId;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  const response = await fetch(url, {
    method,
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  if (response.headers.get('content-type')?.includes('json') === true) body = JSON.parse(text);
  return {
    method,
    url,
    status: response.status,
    body,
    ms,
    correlationId: response.headers.get('x-correlation-id'),
  };
}

/** Throws, with what came back, unless the exchange answered `status`. */
export function expectStatus(exchange: Exchange, status: number, what: string): void {
  if (exchange.status !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${exchange.status} from ${exchange.method} ${exchange.url}: ${JSON.stringify(exchange.body)}`,
    );
  }
}

/** A field of a JSON body, for printing; throws when the body is not an object. */
export function field(exchange: Exchange, name: string): unknown {
  const body = exchange.body;
  if (typeof body !== 'object' || body === null) {
    throw new Error(
      `${exchange.method} ${exchange.url}: expected a JSON object, got ${String(body)}`,
    );
  }
  return (body as Record<string, unknown>)[name];
}
