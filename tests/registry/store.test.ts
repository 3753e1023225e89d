import { describe, expect, it } from 'vitest';
import {
  AbortError,
  type InstanceRecord,
  type Logger,
  ServiceRegistry,
  type RegistryStore,
  type ServiceRegistryOptions,
} from 'switchboard';
import { refusedUrl, registry, waitFor } from './helpers.js';

type Listener = (records: readonly InstanceRecord[]) => void;

/** An in-memory store shared by "processes"; `others` are records of other processes. */
class FakeStore implements RegistryStore {
  readonly ours = new Map<string, InstanceRecord>();
  readonly others = new Map<string, InstanceRecord>();
  readonly listeners = new Set<Listener>();
  readonly log: string[] = [];
  failAnnounce: Error | undefined;
  failWithdraw: Error | undefined;
  closes = 0;

  announce(record: InstanceRecord): Promise<void> {
    this.log.push(`announce ${record.id}`);
    if (this.failAnnounce !== undefined) return Promise.reject(this.failAnnounce);
    this.ours.set(record.id, record);
    this.notify();
    return Promise.resolve();
  }

  async withdraw(id: string): Promise<void> {
    await Promise.resolve();
    this.log.push(`withdraw ${id}`);
    if (this.failWithdraw !== undefined) throw this.failWithdraw;
    this.ours.delete(id);
    this.notify();
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.records());
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closes += 1;
    return Promise.resolve();
  }

  /** Another process joins, changes, or leaves. */
  put(record: InstanceRecord): void {
    this.others.set(record.id, record);
    this.notify();
  }

  drop(id: string): void {
    this.others.delete(id);
    this.notify();
  }

  records(): InstanceRecord[] {
    return [...this.ours.values(), ...this.others.values()];
  }

  notify(records = this.records()): void {
    for (const listener of this.listeners) listener(records);
  }
}

function remote(id: string, baseUrl = 'http://10.0.1.1', extra: Partial<InstanceRecord> = {}) {
  return { id, name: 'auth', baseUrl, metadata: {}, ...extra };
}

function withStore(options: ServiceRegistryOptions = {}) {
  const store = new FakeStore();
  const reg = registry({ store, ...options });
  return { store, reg };
}

function eventsOf(reg: ServiceRegistry): string[] {
  const events: string[] = [];
  reg.on('registered', ({ instance }) => events.push(`+${instance.id}`));
  reg.on('deregistered', ({ instance }) => events.push(`-${instance.id}`));
  return events;
}

describe('ServiceRegistry with a store: local instances', () => {
  it('announces a registered instance as a plain record, without blocking register()', async () => {
    const { store, reg } = withStore();
    const instance = reg.register({
      name: 'auth',
      baseUrl: 'http://10.0.0.1/',
      healthPath: '/health',
      metadata: { zone: 'eu' },
      id: 'a',
    });
    expect(store.log).toEqual([]);
    await reg.flush();
    expect(store.log).toEqual(['announce a']);
    expect(JSON.parse(JSON.stringify(store.ours.get('a')))).toEqual({
      id: 'a',
      name: 'auth',
      baseUrl: 'http://10.0.0.1',
      healthPath: '/health',
      metadata: { zone: 'eu' },
    });
    expect(reg.instances('auth')).toEqual([instance]);
    expect(instance.local).toBe(true);
  });

  it('withdraws on deregister, after the announcement, and does not resurrect the id', async () => {
    const { store, reg } = withStore();
    const events = eventsOf(reg);
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    reg.deregister('a');
    // A stale list that still has `a` arrives before the withdrawal lands.
    store.notify([remote('a', 'http://10.0.0.1')]);
    await reg.flush();
    expect(store.log).toEqual(['announce a', 'withdraw a']);
    expect(reg.services()).toEqual([]);
    expect(events).toEqual(['+a', '-a']);
  });

  it('reports a failed announcement as an event and a warning, never a rejection', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (context, message) => warnings.push({ ...context, message }),
      error: () => undefined,
    };
    const { store, reg } = withStore({ logger });
    const failure = new Error('redis down');
    store.failAnnounce = failure;
    const failed: unknown[] = [];
    reg.on('announce-failed', (payload) => failed.push(payload));
    const instance = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    await reg.flush();
    expect(failed).toEqual([{ instance, error: failure }]);
    expect(warnings).toEqual([
      { error: failure, instance: 'a', service: 'auth', message: 'announce failed' },
    ]);
    expect(reg.resolve('auth')).toBe(instance);
  });

  it('reports a failed withdrawal as an event', async () => {
    const { store, reg } = withStore();
    store.failWithdraw = new Error('redis down');
    const failed: string[] = [];
    reg.on('withdraw-failed', ({ instance, error }) =>
      failed.push(`${instance.id}: ${(error as Error).message}`),
    );
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    reg.deregister('a');
    await reg.flush();
    expect(failed).toEqual(['a: redis down']);
  });

  it('flush() rejects with AbortError when its signal aborts', async () => {
    const { reg } = withStore();
    await expect(reg.flush({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('ServiceRegistry with a store: remote instances', () => {
  it('mirrors instances of other processes as they come, change and go', () => {
    const { store, reg } = withStore();
    const events = eventsOf(reg);
    store.put(remote('r1'));
    const [r1] = reg.instances('auth');
    expect(r1).toMatchObject({ id: 'r1', local: false, status: 'healthy' });
    expect(reg.resolve('auth')).toBe(r1);

    store.put(remote('r1', 'http://10.0.1.1', { metadata: { v: '2' }, healthPath: '/hz' }));
    expect(reg.instances('auth')).toEqual([r1]);
    expect(r1).toMatchObject({ metadata: { v: '2' }, healthPath: '/hz' });

    store.put(remote('r1', 'http://10.0.1.9'));
    const [moved] = reg.instances('auth');
    expect(moved).not.toBe(r1);
    expect(moved?.baseUrl).toBe('http://10.0.1.9');

    store.drop('r1');
    expect(reg.services()).toEqual([]);
    expect(events).toEqual(['+r1', '-r1', '+r1', '-r1']);
  });

  it('never touches local instances, even when the store does not list them', async () => {
    const { store, reg } = withStore();
    const local = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    await reg.flush();
    store.put(remote('a', 'http://10.6.6.6'));
    store.notify([]);
    expect(reg.instances('auth')).toEqual([local]);
    expect(local.baseUrl).toBe('http://10.0.0.1');
  });

  it('takes back its own id from a remote record on register()', () => {
    const { store, reg } = withStore();
    store.put(remote('a'));
    const local = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    expect(reg.instances('auth')).toEqual([local]);
    expect(local.local).toBe(true);
  });

  it('skips invalid records with a warning and keeps the valid ones', () => {
    const warned: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (context) => warned.push(String(context['id'])),
      error: () => undefined,
    };
    const { store, reg } = withStore({ logger });
    store.notify([
      remote('bad-url', 'http://user:pw@10.0.1.1'),
      remote('', 'http://10.0.1.2'),
      remote('bad-name', 'http://10.0.1.3', { name: 'a b' }),
      null as unknown as InstanceRecord,
      remote('good', 'http://10.0.1.4'),
      remote('good', 'http://10.0.1.5'),
    ]);
    expect(reg.instances('auth').map((i) => `${i.id} ${i.baseUrl}`)).toEqual([
      'good http://10.0.1.4',
    ]);
    expect(warned).toEqual(['bad-url', '', 'bad-name', 'undefined']);
  });

  it('health-checks remote instances like local ones', async () => {
    const { store, reg } = withStore({ health: { intervalMs: 60_000, unhealthyThreshold: 1 } });
    store.put(remote('r1', await refusedUrl(), { healthPath: '/health' }));
    await reg.checkNow();
    expect(reg.instances('auth')[0]?.status).toBe('unhealthy');
  });
});

describe('ServiceRegistry with a store: close()', () => {
  it('stops mirroring and closes the store once', async () => {
    const { store, reg } = withStore();
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    await Promise.all([reg.close(), reg.close()]);
    expect(store.closes).toBe(1);
    expect(store.listeners.size).toBe(0);
    store.put(remote('r1'));
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2', id: 'b' });
    await reg.flush();
    expect(reg.instances('auth').map((i) => i.id)).toEqual(['a', 'b']);
    expect(store.log).toEqual(['announce a']);
  });

  it('rejects with the store error when closing the store fails', async () => {
    const store = new FakeStore();
    store.close = () => Promise.reject(new Error('quit failed'));
    const reg = new ServiceRegistry({ store, health: false });
    await expect(reg.close()).rejects.toThrow('quit failed');
    expect(reg.close()).toBe(reg.close());
  });

  it('waits for queued writes, even those queued while flushing', async () => {
    const { store, reg } = withStore();
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    const flushed = reg.flush();
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2', id: 'b' });
    await flushed;
    expect(store.log).toEqual(['announce a', 'announce b']);
    await waitFor(() => store.ours.size === 2);
  });
});
