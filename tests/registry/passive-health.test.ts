import { describe, expect, it } from 'vitest';
import type { ServiceInstance, ServiceRegistry, ServiceRegistryEvents } from 'switchboard';
import { healthServer, registry, waitFor } from './helpers.js';

function changesOf(reg: ServiceRegistry): string[] {
  const changes: string[] = [];
  reg.on('health-changed', ({ instance, from, to, reason }) =>
    changes.push(`${instance.id} ${from}→${to}: ${reason}`),
  );
  return changes;
}

describe('passive health: report()', () => {
  it('a failure makes a healthy instance suspect, a success makes it healthy again', () => {
    const reg = registry();
    const a = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    const changes = changesOf(reg);
    reg.report('a', 'success');
    reg.report('a', 'failure');
    reg.report('a', 'failure');
    expect(a.status).toBe('suspect');
    reg.report('a', 'success');
    expect(a.status).toBe('healthy');
    expect(changes).toEqual([
      'a healthy→suspect: a call failed',
      'a suspect→healthy: a call succeeded',
    ]);
  });

  it('emits health-changed with the live instance', () => {
    const reg = registry();
    const a = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    const payloads: ServiceRegistryEvents['health-changed'][] = [];
    reg.on('health-changed', (payload) => payloads.push(payload));
    reg.report(a.id, 'failure');
    expect(payloads).toEqual([
      { instance: a, from: 'healthy', to: 'suspect', reason: 'a call failed' },
    ]);
    expect(payloads[0]?.instance).toBe(a);
  });

  it('ignores reports about unknown instances', () => {
    const reg = registry();
    expect(() => {
      reg.report('gone', 'failure');
    }).not.toThrow();
  });

  it('a failure triggers an immediate health check that can clear the suspicion', async () => {
    const server = await healthServer();
    const reg = registry({ health: { intervalMs: 60_000 } });
    const a = reg.register({
      name: 'auth',
      baseUrl: server.url,
      healthPath: '/health',
      id: 'a',
    });
    const changes = changesOf(reg);
    reg.report('a', 'failure');
    expect(a.status).toBe('suspect');
    await waitFor(() => a.status === 'healthy');
    expect(server.requests).toEqual(['/health']);
    expect(changes).toEqual([
      'a healthy→suspect: a call failed',
      'a suspect→healthy: health check passed',
    ]);
  });

  it('checks only on the way into suspect, not on every failure', async () => {
    const server = await healthServer();
    server.status = 503;
    const reg = registry({ health: { intervalMs: 60_000, unhealthyThreshold: 3 } });
    const a = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    reg.report(a.id, 'failure');
    await reg.checkNow(a.id);
    reg.report(a.id, 'failure');
    reg.report(a.id, 'failure');
    expect(server.requests).toHaveLength(1);
    expect(a.status).toBe('suspect');
  });

  it('a passive recovery resets the run of failed checks', async () => {
    const server = await healthServer();
    server.status = 503;
    const reg = registry({ health: { intervalMs: 60_000, unhealthyThreshold: 2 } });
    const a = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await reg.checkNow();
    reg.report(a.id, 'success');
    expect(a.status).toBe('healthy');
    await reg.checkNow();
    expect(a.status).toBe('suspect');
  });

  it('a success does not revive an unhealthy instance: its checks decide', async () => {
    const server = await healthServer();
    server.status = 503;
    const reg = registry({ health: { intervalMs: 60_000, unhealthyThreshold: 1 } });
    const a = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    await reg.checkNow();
    reg.report(a.id, 'success');
    expect(a.status).toBe('unhealthy');
  });
});

describe('passive health: breakers', () => {
  it('an instance whose breaker opens becomes suspect', async () => {
    const reg = registry({ breaker: { failureThreshold: 2 } });
    const a = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    const changes = changesOf(reg);
    const fail = (instance: ServiceInstance) =>
      instance.breaker.call(() => Promise.reject(new Error('down')));
    await expect(fail(a)).rejects.toThrow('down');
    expect(a.status).toBe('healthy');
    await expect(fail(a)).rejects.toThrow('down');
    expect(a.status).toBe('suspect');
    expect(changes).toEqual(['a healthy→suspect: its circuit opened']);
  });

  it('an instance that left no longer changes on its breaker', async () => {
    const reg = registry({ breaker: { failureThreshold: 1 } });
    const a = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    const changes = changesOf(reg);
    reg.deregister(a.id);
    await expect(a.breaker.call(() => Promise.reject(new Error('down')))).rejects.toThrow();
    expect(a.status).toBe('healthy');
    expect(changes).toEqual([]);
  });
});
