import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, ServiceRegistry, type ServiceRegistryEvents } from 'switchboard';
import {
  activeResources,
  healthServer,
  refusedUrl,
  registry,
  rejectionOf,
  waitFor,
} from './helpers.js';

type Change = ServiceRegistryEvents['health-changed'];

/** Records `health-changed` as "from→to: reason". */
function changesOf(reg: ServiceRegistry): string[] {
  const changes: string[] = [];
  reg.on('health-changed', ({ from, to, reason }: Change) =>
    changes.push(`${from}→${to}: ${reason}`),
  );
  return changes;
}

const manual = { intervalMs: 60_000 } as const;

describe('health monitor: transitions', () => {
  it('applies the thresholds as /health flips between 200 and 503', async () => {
    const server = await healthServer();
    const reg = registry({ health: { ...manual, unhealthyThreshold: 3, healthyThreshold: 2 } });
    const instance = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    const changes = changesOf(reg);
    const statuses: string[] = [];
    const check = async (): Promise<void> => {
      await reg.checkNow();
      statuses.push(instance.status);
    };

    await check();
    server.status = 503;
    await check();
    await check();
    await check();
    await check();
    server.status = 200;
    await check();
    await check();
    await check();

    expect(statuses).toEqual([
      'healthy',
      'suspect',
      'suspect',
      'unhealthy',
      'unhealthy',
      'unhealthy',
      'healthy',
      'healthy',
    ]);
    expect(changes).toEqual([
      'healthy→suspect: health check failed (answered 503)',
      'suspect→unhealthy: health check failed 3 times in a row (last: answered 503)',
      'unhealthy→healthy: 2 health checks passed in a row',
    ]);
    expect(server.requests).toEqual(Array(8).fill('/health'));
  });

  it('makes a suspect instance healthy after one passed check', async () => {
    const server = await healthServer();
    server.status = 500;
    const reg = registry({ health: manual });
    const instance = reg.register({
      name: 'auth',
      baseUrl: `${server.url}/api`,
      healthPath: '/hz',
    });
    await reg.checkNow(instance.id);
    expect(instance.status).toBe('suspect');
    server.status = 204;
    await reg.checkNow(instance.id);
    expect(instance.status).toBe('healthy');
    expect(server.requests).toEqual(['/api/hz', '/api/hz']);
  });

  it('fails a check that hangs past timeoutMs', async () => {
    const server = await healthServer();
    server.status = 'hang';
    const reg = registry({ health: { ...manual, timeoutMs: 30, unhealthyThreshold: 1 } });
    const changes = changesOf(reg);
    reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    const started = Date.now();
    await reg.checkNow();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(changes).toEqual([
      'healthy→unhealthy: health check failed (last: timed out after 30 ms)',
    ]);
  });

  it('fails a check whose connection is refused', async () => {
    const reg = registry({ health: { ...manual, unhealthyThreshold: 1 } });
    const changes = changesOf(reg);
    reg.register({ name: 'auth', baseUrl: await refusedUrl(), healthPath: '/health' });
    await reg.checkNow();
    expect(changes).toEqual(['healthy→unhealthy: health check failed (last: ECONNREFUSED)']);
  });

  it('does not follow redirects: a 3xx fails', async () => {
    const server = await healthServer();
    server.status = 302;
    const reg = registry({ health: manual });
    const instance = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await reg.checkNow();
    expect(instance.status).toBe('suspect');
  });

  it('checks only instances with a health path, and nothing with health: false', async () => {
    const server = await healthServer();
    const reg = registry({ health: manual });
    reg.register({ name: 'auth', baseUrl: server.url });
    await reg.checkNow();
    const off = registry({ health: false });
    off.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await off.checkNow();
    expect(server.requests).toEqual([]);
  });

  it('ignores the result of a check whose instance left meanwhile', async () => {
    const server = await healthServer();
    server.status = 503;
    server.delayMs = 20;
    const reg = registry({ health: { ...manual, unhealthyThreshold: 1 } });
    const changes = changesOf(reg);
    const instance = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    const checking = reg.checkNow();
    await waitFor(() => server.requests.length === 1);
    reg.deregister(instance.id);
    await checking;
    expect(changes).toEqual([]);
    expect(instance.status).toBe('healthy');
  });

  it('rejects checkNow() with AbortError when its signal aborts', async () => {
    const server = await healthServer();
    server.status = 'hang';
    const reg = registry({ health: { ...manual, timeoutMs: 5_000 } });
    reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await expect(reg.checkNow(undefined, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
    const controller = new AbortController();
    const checking = reg.checkNow(undefined, { signal: controller.signal });
    await waitFor(() => server.requests.length === 1);
    controller.abort();
    expect(await rejectionOf(checking)).toBeInstanceOf(AbortError);
  });
});

describe('health monitor: scheduling', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks in the background every intervalMs', async () => {
    const server = await healthServer();
    server.status = 503;
    const reg = registry({ health: { intervalMs: 10, unhealthyThreshold: 2 } });
    const changes = changesOf(reg);
    const instance = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await waitFor(() => instance.status === 'unhealthy');
    server.status = 200;
    await waitFor(() => instance.status === 'healthy');
    expect(changes.map((c) => c.split(':')[0])).toEqual([
      'healthy→suspect',
      'suspect→unhealthy',
      'unhealthy→healthy',
    ]);
  });

  it('never runs more than `concurrency` checks at once', async () => {
    const server = await healthServer();
    server.delayMs = 20;
    const reg = registry({ health: { ...manual, concurrency: 3 } });
    for (let i = 0; i < 12; i += 1) {
      reg.register({ name: 'auth', baseUrl: `${server.url}/i${i}`, healthPath: '/health' });
    }
    await reg.checkNow();
    expect(server.requests).toHaveLength(12);
    expect(server.maxInFlight).toBe(3);
  });

  it('never overlaps rounds, however short the interval', async () => {
    const server = await healthServer();
    server.status = 'hang';
    const reg = registry({ health: { intervalMs: 1, timeoutMs: 30 } });
    reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await waitFor(() => server.requests.length >= 3);
    expect(server.maxInFlight).toBe(1);
  });

  it('joins a check already in flight instead of starting another', async () => {
    const server = await healthServer();
    server.delayMs = 20;
    const reg = registry({ health: manual });
    const instance = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await Promise.all([reg.checkNow(), reg.checkNow(instance.id), reg.checkNow()]);
    expect(server.requests).toHaveLength(1);
  });

  it('holds a timer only while there is something to check, and none after close()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const reg = new ServiceRegistry({ health: { intervalMs: 1_000 } });
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    expect(vi.getTimerCount()).toBe(0);
    const checked = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2', healthPath: '/h' });
    expect(vi.getTimerCount()).toBe(1);
    reg.deregister(checked.id);
    expect(vi.getTimerCount()).toBe(0);
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.3', healthPath: '/h' });
    expect(vi.getTimerCount()).toBe(1);
    await reg.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() aborts checks in flight and leaves no timer or socket behind', async () => {
    const server = await healthServer();
    server.status = 'hang';
    const timers = activeResources('Timeout');
    const sockets = activeResources('TCPSocketWrap');
    const reg = new ServiceRegistry({ health: { intervalMs: 5, timeoutMs: 10_000 } });
    const changes = changesOf(reg);
    const instance = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await waitFor(() => server.inFlight === 1);
    const checking = reg.checkNow();
    const started = Date.now();
    await reg.close();
    await checking;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(instance.status).toBe('healthy');
    expect(changes).toEqual([]);
    expect(activeResources('Timeout')).toBeLessThanOrEqual(timers);
    // The client's end is closed; the server's end of a hung request stays
    // open until the server closes it, so it is not counted against us.
    await waitFor(
      () =>
        server.inFlight === 0 && activeResources('TCPSocketWrap') - server.serverSockets <= sockets,
    );
    expect(server.requests).toHaveLength(1);
  });
});
