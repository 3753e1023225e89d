import { describe, expect, it } from 'vitest';
import { ServiceClient, isSwitchboardError } from 'switchboard';
import { AttemptAbort } from '../../src/http/attempt-abort.js';
import { poolTransport } from '../../src/http/pool-transport.js';
import { failureOf, registryWith, testService } from './helpers.js';

// The client's two transports, its own pool (the default) and a fetch of the
// caller's (driven through ky), must behave alike: these run on both.

const transports = [
  ['its own pool', {}],
  ['a fetch of the caller', { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) }],
] as const;

describe.each(transports)('ServiceClient over %s', (_name, transport) => {
  it('sends method, headers and a JSON body, and reads the answer', async () => {
    const api = await testService('api');
    api.route('POST', '/echo', (request) => ({
      status: 201,
      json: { body: request.body, headers: request.headers },
      headers: { 'set-cookie': 'a=1' },
    }));
    const client = new ServiceClient('api', { registry: registryWith([api]), ...transport });
    const answer = (await client.post('/echo', {
      json: { a: 1 },
      headers: { 'X-Test': 'yes' },
    })) as { body: unknown; headers: Record<string, string> };
    expect(answer.body).toBe('{"a":1}');
    expect(answer.headers).toMatchObject({
      'x-test': 'yes',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(answer.headers['user-agent']).toMatch(/^switchboard\//);
    await client.close();
  });

  it("lets the caller's headers replace the client's whatever their case, sending each once", async () => {
    const api = await testService('api');
    api.route('POST', '/echo', (request) => ({ json: request.headers }));
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      headers: { 'X-Team': 'a', Accept: 'text/plain' },
      ...transport,
    });
    // Node joins a repeated header with ', ' (and keeps the first content-type).
    expect(
      await client.post('/echo', {
        json: 1,
        headers: { 'x-team': 'b', 'Content-Type': 'application/vnd.api+json' },
      }),
    ).toMatchObject({
      'x-team': 'b',
      accept: 'text/plain',
      'content-type': 'application/vnd.api+json',
    });
    await client.close();
  });

  it('gives HEAD and 204 answers an empty body', async () => {
    const api = await testService('api');
    api.route('GET', '/empty', { status: 204 }).route('HEAD', '/x', { text: 'ignored' });
    const client = new ServiceClient('api', { registry: registryWith([api]), ...transport });
    expect(await client.get('/empty')).toBeUndefined();
    expect(await client.request('HEAD', '/x')).toBeUndefined();
    // The connection is still good for the next request.
    expect(await client.get('/empty')).toBeUndefined();
    await client.close();
  });

  it('does not follow redirects, so no credential leaves the registered host', async () => {
    const target = await testService('elsewhere');
    const api = await testService('api');
    api.route('GET', '/moved', { status: 302, headers: { location: `${target.url}/steal` } });
    const client = new ServiceClient('api', { registry: registryWith([api]), ...transport });
    const error = await failureOf(
      client.get('/moved', { token: 'secret', headers: { 'x-api-key': 'key' } }),
    );
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 302, isClientError: true });
    expect(target.requests).toHaveLength(0);
    await client.close();
  });

  it('refuses header injection before sending anything', async () => {
    const api = await testService('api');
    api.route('GET', '/x', { json: 1 });
    const client = new ServiceClient('api', { registry: registryWith([api]), ...transport });
    for (const options of [
      { headers: { 'x-a': 'ok\r\nx-injected: 1' } },
      { headers: { 'bad name': 'v' } },
      { token: 'abc\ndef' },
      { idempotencyKey: 'k\r\n' },
    ]) {
      const error = await failureOf(client.get('/x', options));
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ code: 'ERR_SWITCHBOARD_INVALID_OPTION' });
      // The value may be a secret: the message does not repeat it.
      expect((error as Error).message).not.toContain('def');
    }
    expect(api.requests).toHaveLength(0);
    await client.close();
  });
});

describe('poolTransport', () => {
  it('aborts an in-flight request when its AttemptAbort fires, and closes idempotently', async () => {
    const api = await testService('api');
    api.route('GET', '/hang', 'hang');
    const pool = poolTransport();
    const abort = new AttemptAbort(5_000, 'GET /hang');
    const pending = failureOf(
      pool.send({
        url: new URL(`${api.url}/hang`),
        method: 'GET',
        headers: {},
        body: undefined,
        abort,
      }),
    );
    setTimeout(() => {
      abort.abort(new Error('stop'));
    }, 20);
    expect(await pending).toBeInstanceOf(Error);
    abort.dispose();
    await pool.close();
    await pool.close();
  });

  it('is what ServiceClient uses unless given a fetch; a closed client fails with a typed error', async () => {
    const api = await testService('api');
    api.route('GET', '/x', { json: 1 });
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    expect(await client.get('/x')).toBe(1);
    await client.close();
    await client.close();
    const error = await failureOf(client.get('/x'));
    expect(isSwitchboardError(error)).toBe(true);
  });
});
