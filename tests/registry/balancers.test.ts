import { describe, expect, it } from 'vitest';
import {
  LeastOutstandingBalancer,
  RandomBalancer,
  type Balancer,
  type ServiceInstance,
  type ServiceRegistryOptions,
} from 'switchboard';
import { registry, thrownBy } from './helpers.js';

/** A registry with `count` instances of `auth`, ids `a`, `b`, `c`, … */
function withInstances(count: number, options: ServiceRegistryOptions = {}) {
  const reg = registry(options);
  const instances = Array.from({ length: count }, (_, i) =>
    reg.register({
      name: 'auth',
      baseUrl: `http://10.0.0.${i + 1}`,
      id: String.fromCharCode(97 + i),
    }),
  );
  return { reg, instances };
}

function picks(resolve: () => ServiceInstance, times: number): string[] {
  return Array.from({ length: times }, () => resolve().id);
}

describe('balancers', () => {
  it('round-robin (the default) cycles exactly through the instances', () => {
    const { reg } = withInstances(3);
    expect(picks(() => reg.resolve('auth'), 9).join('')).toBe('abcabcabc');
  });

  it('round-robin keeps one turn per service', () => {
    const { reg } = withInstances(2);
    reg.register({ name: 'product', baseUrl: 'http://10.0.1.1', id: 'p1' });
    reg.register({ name: 'product', baseUrl: 'http://10.0.1.2', id: 'p2' });
    const order = [
      reg.resolve('auth').id,
      reg.resolve('product').id,
      reg.resolve('auth').id,
      reg.resolve('product').id,
    ];
    expect(order).toEqual(['a', 'p1', 'b', 'p2']);
  });

  it('random reaches every instance', () => {
    const { reg } = withInstances(3, { balancer: 'random' });
    expect(new Set(picks(() => reg.resolve('auth'), 200))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('random draws from its source of randomness, clamped to the list', () => {
    const { reg } = withInstances(3, { balancer: new RandomBalancer({ random: () => 1 }) });
    expect(picks(() => reg.resolve('auth'), 3)).toEqual(['c', 'c', 'c']);
    expect(() => new RandomBalancer({ random: 1 as never })).toThrow(TypeError);
  });

  it('least-outstanding always avoids the busier of two instances', () => {
    const { reg, instances } = withInstances(2, { balancer: 'least-outstanding' });
    const [a] = instances;
    if (a === undefined) throw new Error('no instance');
    const release = reg.track(a);
    expect(a.inFlight).toBe(1);
    expect(new Set(picks(() => reg.resolve('auth'), 50))).toEqual(new Set(['b']));
    release();
    release();
    expect(a.inFlight).toBe(0);
    expect(new Set(picks(() => reg.resolve('auth'), 100))).toEqual(new Set(['a', 'b']));
  });

  it('least-outstanding (power of two choices) never picks the busiest of three', () => {
    const { reg, instances } = withInstances(3, { balancer: 'least-outstanding' });
    const [a, b] = instances as [ServiceInstance, ServiceInstance];
    reg.track(a);
    reg.track(a);
    reg.track(b);
    const counts = picks(() => reg.resolve('auth'), 300).reduce<Record<string, number>>(
      (tally, id) => ({ ...tally, [id]: (tally[id] ?? 0) + 1 }),
      {},
    );
    expect(counts['a']).toBeUndefined();
    // c wins every pair it is drawn in (2 of 3 pairs), b only the pair with a.
    expect(counts['c']).toBeGreaterThan(counts['b'] ?? 0);
  });

  it('least-outstanding draws two distinct instances', () => {
    const balancer = new LeastOutstandingBalancer({ random: () => 0 });
    const { reg, instances } = withInstances(3, { balancer });
    const [a, b] = instances as [ServiceInstance, ServiceInstance];
    reg.track(a);
    // Both draws say "index 0": the second is taken from the other two, so it is b.
    expect(reg.resolve('auth')).toBe(b);
  });

  it('least-outstanding keeps the first drawn on a tie', () => {
    const draws = [0.9, 0.9];
    const balancer = new LeastOutstandingBalancer({ random: () => draws.shift() ?? 0 });
    const { reg, instances } = withInstances(3, { balancer });
    // Draws: index 2 (c), then index 1 of the other two (b); equal load keeps c.
    expect(reg.resolve('auth')).toBe(instances[2]);
  });

  it('a custom balancer gets the candidates and the service name', () => {
    const calls: { ids: string[]; service: string }[] = [];
    const last: Balancer = {
      pick(candidates, service) {
        calls.push({ ids: candidates.map((c) => c.id), service });
        return candidates.at(-1) ?? (candidates[0] as ServiceInstance);
      },
    };
    const { reg } = withInstances(3, { balancer: last });
    expect(reg.resolve('auth').id).toBe('c');
    expect(calls).toEqual([{ ids: ['a', 'b', 'c'], service: 'auth' }]);
  });

  it('is not consulted with a single candidate', () => {
    let calls = 0;
    const { reg, instances } = withInstances(1, {
      balancer: {
        pick: (candidates) => {
          calls += 1;
          return candidates[0] as ServiceInstance;
        },
      },
    });
    expect(reg.resolve('auth')).toBe(instances[0]);
    expect(calls).toBe(0);
  });

  it('refuses a pick that is not one of the candidates', () => {
    const { reg, instances } = withInstances(2, {
      balancer: { pick: (candidates) => ({ ...(candidates[0] as ServiceInstance) }) },
    });
    const error = thrownBy(() => reg.resolve('auth'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ option: 'balancer' });
    expect(instances).toHaveLength(2);
  });
});

describe('track()', () => {
  it('counts calls in flight per instance; each release counts once', () => {
    const { reg, instances } = withInstances(2);
    const [a, b] = instances as [ServiceInstance, ServiceInstance];
    const first = reg.track(a);
    const second = reg.track(a);
    expect([a.inFlight, b.inFlight]).toEqual([2, 0]);
    first();
    first();
    expect(a.inFlight).toBe(1);
    second();
    expect(a.inFlight).toBe(0);
  });

  it('finds the instance by id when given a copy, and ignores unknown ones', () => {
    const { reg, instances } = withInstances(1);
    const a = instances[0] as ServiceInstance;
    const release = reg.track({ ...a });
    expect(a.inFlight).toBe(1);
    release();
    expect(a.inFlight).toBe(0);
    expect(() => {
      reg.track({ ...a, id: 'gone' })();
    }).not.toThrow();
  });
});
