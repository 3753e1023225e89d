import { afterEach, describe, expect, it } from 'vitest';
import { ServiceClient, isSwitchboardError } from 'switchboard';
import { pooledFetch, type PooledFetch } from '../../src/http/undici-fetch.js';
import { failureOf, registryWith, testService } from './helpers.js';

let pool: PooledFetch | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('pooledFetch', () => {
  it('sends method, headers and body, and streams the answer back', async () => {
    const api = await testService('api');
    api.route('POST', '/echo', (request) => ({
      status: 201,
      json: { body: request.body, header: request.headers['x-test'] },
      headers: { 'set-cookie': 'a=1' },
    }));
    pool = pooledFetch();
    const response = await pool.fetch(`${api.url}/echo`, {
      method: 'POST',
      headers: { 'x-test': 'yes', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ body: '{"a":1}', header: 'yes' });
  });

  it('gives null bodies for HEAD and 204 instead of throwing', async () => {
    const api = await testService('api');
    api.route('GET', '/empty', { status: 204 }).route('HEAD', '/x', { text: 'ignored' });
    pool = pooledFetch();
    expect((await pool.fetch(`${api.url}/empty`)).status).toBe(204);
    const head = await pool.fetch(`${api.url}/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('does not follow redirects, so a token never leaves the registered host', async () => {
    const target = await testService('elsewhere');
    const api = await testService('api');
    api.route('GET', '/moved', { status: 302, headers: { location: `${target.url}/steal` } });
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    const error = await failureOf(client.get('/moved', { token: 'secret' }));
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 302, isClientError: true });
    expect(target.requests).toHaveLength(0);
    await client.close();
  });

  it('aborts an in-flight request through the signal', async () => {
    const api = await testService('api');
    api.route('GET', '/hang', 'hang');
    pool = pooledFetch();
    const controller = new AbortController();
    const pending = pool
      .fetch(`${api.url}/hang`, { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => {
      controller.abort(new Error('stop'));
    }, 20);
    const error = await pending;
    expect(error).toBeInstanceOf(Error);
  });

  it('is what ServiceClient uses unless given a fetch, and close() is idempotent', async () => {
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
