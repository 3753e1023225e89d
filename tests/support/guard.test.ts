import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  activeResources,
  createCollector,
  expectResourcesBack,
  guardFailure,
  type Caught,
} from './guard.js';

// Built by hand: a real one would reach the live guard and fail this test.
function maxListenersWarning(): Error {
  return Object.assign(new Error('Possible EventTarget memory leak detected. 11 abort listeners'), {
    name: 'MaxListenersExceededWarning',
  });
}

describe('createCollector', () => {
  it('collects rejections, exceptions and MaxListenersExceededWarning in order', () => {
    const collector = createCollector();
    const rejection = new Error('nobody awaited me');
    const exception = new TypeError('thrown from a timer');
    const warning = maxListenersWarning();

    collector.onRejection(rejection);
    collector.onWarning(warning);
    collector.onException(exception);

    expect(collector.take()).toEqual<Caught[]>([
      { kind: 'unhandled rejection', error: rejection },
      { kind: 'MaxListenersExceededWarning', error: warning },
      { kind: 'uncaught exception', error: exception },
    ]);
  });

  it('ignores every other warning', () => {
    const collector = createCollector();
    collector.onWarning(
      Object.assign(new Error('Buffer() is deprecated'), { name: 'DeprecationWarning' }),
    );
    collector.onWarning(
      Object.assign(new Error('fetch is experimental'), { name: 'ExperimentalWarning' }),
    );

    expect(collector.take()).toEqual([]);
  });

  it('forgets what it handed over, so each test starts clean', () => {
    const collector = createCollector();
    collector.onRejection('first');
    expect(collector.take()).toHaveLength(1);
    expect(collector.take()).toEqual([]);
    collector.onRejection('second');
    expect(collector.take()).toEqual([{ kind: 'unhandled rejection', error: 'second' }]);
  });
});

describe('guardFailure', () => {
  it('is undefined when nothing was caught', () => {
    expect(guardFailure([])).toBeUndefined();
  });

  it('lists each catch with its kind and the head of its stack', () => {
    const rejection = new Error('nobody awaited me');
    const failure = guardFailure([
      { kind: 'unhandled rejection', error: rejection },
      { kind: 'MaxListenersExceededWarning', error: maxListenersWarning() },
    ]);

    expect(failure?.message).toMatch(/^The process saw 2 unhandled problems during this test/);
    expect(failure?.message).toContain('1. unhandled rejection: Error: nobody awaited me\n    at ');
    expect(failure?.message).toContain(
      '2. MaxListenersExceededWarning: MaxListenersExceededWarning',
    );
    expect(failure?.message).toContain('guard.test.ts');
  });

  it('cuts long stacks short', () => {
    const deep = new Error('deep');
    deep.stack = ['Error: deep', ...Array.from({ length: 50 }, (_, i) => `    at frame${i}`)].join(
      '\n',
    );
    const message = guardFailure([{ kind: 'uncaught exception', error: deep }])?.message ?? '';

    expect(message).toContain('at frame10');
    expect(message).not.toContain('at frame11');
  });

  it('shows a rejection reason that is not an Error as inspected', () => {
    const failure = guardFailure([{ kind: 'unhandled rejection', error: { code: 42 } }]);

    expect(failure?.message).toMatch(/^The process saw 1 unhandled problem during/);
    expect(failure?.message).toContain('1. unhandled rejection: { code: 42 }');
  });
});

describe('activeResources and expectResourcesBack', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts a timer while it is pending and not after it is cleared', async () => {
    const baseline = activeResources();
    const timer = setTimeout(() => undefined, 60_000);

    expect(activeResources()['Timeout']).toBe((baseline['Timeout'] ?? 0) + 1);
    clearTimeout(timer);
    await expectResourcesBack(baseline);
  });

  it('throws listing the types above the baseline once the timeout passes', async () => {
    // Against a baseline of no timers: another timer of this worker ending
    // meanwhile cannot bring the count back down (it did once, on Node 22).
    const baseline = { ...activeResources(), Timeout: 0 };
    const timer = setTimeout(() => undefined, 60_000);
    try {
      await expect(expectResourcesBack(baseline, { timeoutMs: 30 })).rejects.toThrow(
        /Resources still active 30 ms later, beyond the baseline: (.+, )?Timeout \+(\d+) \(\2 now, 0 before\)/,
      );
    } finally {
      clearTimeout(timer);
    }
  });

  it('waits for a closed socket and server to let go of their handles', async () => {
    const baseline = activeResources();
    const connection = await openConnection();

    expect(activeResources()['TCPSocketWrap'] ?? 0).toBeGreaterThan(baseline['TCPSocketWrap'] ?? 0);
    connection.destroy();
    await expectResourcesBack(baseline);
  });

  it('polls with the real timers even under fake ones', async () => {
    const baseline = activeResources();
    const connection = await openConnection();
    // Destroyed handles close a few milliseconds later: only real timers see it.
    connection.destroy();
    vi.useFakeTimers();

    await expectResourcesBack(baseline);
  });
});

// A TCP server on 127.0.0.1 with one client connected; destroy() closes all
// three handles at once, without waiting for them to go.
async function openConnection(): Promise<{ destroy(): void }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  return {
    destroy: () => {
      client.destroy();
      for (const socket of accepted) socket.destroy();
      server.close();
    },
  };
}
