import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleAll,
  retry,
  wrap,
} from 'cockatiel';
import Opossum from 'opossum';
import { CircuitBreaker, RetryPolicy } from 'switchboard';
import { measure } from './lib/measure.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';

// What the policy layer adds to a call that does no I/O: the cost every
// request pays when nothing fails, and the cost of failing fast when open.

const work = (): Promise<number> => Promise.resolve(1);
const fail = (): Promise<never> => Promise.reject(new Error('down'));
const swallow = (): undefined => undefined;

export async function policyOverhead(scale: RunScale): Promise<SuiteResult[]> {
  const options = scale.pick(
    { ops: 60_000, rounds: 5, warmup: 1 },
    { ops: 2_000, rounds: 1, warmup: 1 },
  );
  const breaker = new CircuitBreaker('bench');
  const policy = new RetryPolicy({ retries: 3 });
  const opossum = new Opossum(work); // its defaults: what users get
  const cockatielBreaker = circuitBreaker(handleAll, {
    halfOpenAfter: 30_000,
    breaker: new ConsecutiveBreaker(5),
  });
  const cockatielBoth = wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
  );

  const happy = [
    await measure('direct call', work, options),
    await measure('switchboard CircuitBreaker', () => breaker.call(work), options),
    await measure(
      'switchboard breaker + RetryPolicy',
      () => policy.execute(() => breaker.call(work)),
      options,
    ),
    await measure('opossum (defaults)', () => opossum.fire(), options),
    await measure('cockatiel breaker', () => cockatielBreaker.execute(work), options),
    await measure('cockatiel retry + breaker', () => cockatielBoth.execute(work), options),
  ];
  opossum.shutdown();

  // Open breakers: each rejects without calling the function.
  const open = new CircuitBreaker('bench-open', { failureThreshold: 1, resetTimeoutMs: 3_600_000 });
  await open.call(fail).catch(swallow);
  const opossumOpen = new Opossum(fail, { resetTimeout: 3_600_000 });
  opossumOpen.open();
  const cockatielOpen = circuitBreaker(handleAll, {
    halfOpenAfter: 3_600_000,
    breaker: new ConsecutiveBreaker(1),
  });
  await cockatielOpen.execute(fail).catch(swallow);

  const rejected = [
    await measure('rejected promise (baseline)', () => fail().catch(swallow), options),
    await measure('switchboard open breaker', () => open.call(work).catch(swallow), options),
    await measure('opossum open breaker', () => opossumOpen.fire().catch(swallow), options),
    await measure(
      'cockatiel open breaker',
      () => cockatielOpen.execute(work).catch(swallow),
      options,
    ),
  ];
  opossumOpen.shutdown();

  return [
    {
      suite: 'Policy overhead: a call that succeeds',
      baseline: 'direct call',
      rows: happy,
      notes: [
        'Target: switchboard breaker + RetryPolicy within 1 µs of the direct call, and ahead of both peers.',
      ],
    },
    {
      suite: 'Policy overhead: a call rejected by an open breaker',
      baseline: 'rejected promise (baseline)',
      rows: rejected,
      notes: ['Each rejection allocates one error (with its stack trace); no timer is created.'],
    },
  ];
}
