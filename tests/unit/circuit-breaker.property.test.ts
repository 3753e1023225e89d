import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CircuitBreaker,
  CircuitOpenError,
  isSwitchboardError,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
} from 'switchboard';

/*
 * Model-based test: random command sequences drive a real breaker whose `fn`
 * settles only when the test says so, under fake time. After every step the
 * test checks the invariants of the issue from what it observed (fn
 * invocations, events, errors, stats), and compares the breaker with a small
 * reference model written from the specification.
 */

const START = new Date('2026-01-01T00:00:00.000Z').getTime();

type Outcome = 'ok' | 'fail' | 'client';
type Plan = { readonly outcome: Outcome; readonly honorsAbort: boolean };

type Policy =
  | { readonly kind: 'consecutive'; readonly threshold: number }
  | {
      readonly kind: 'rate';
      readonly percent: number;
      readonly windowSize: number;
      readonly minimumCalls: number;
    };

type Config = {
  readonly policy: Policy;
  readonly halfOpenMaxCalls: number;
  readonly resetTimeoutMs: number;
  readonly slowCallMs: number | undefined;
};

type Command =
  | { readonly kind: 'start'; readonly plan: Plan }
  | { readonly kind: 'burst'; readonly plans: readonly Plan[] }
  | { readonly kind: 'settle'; readonly pick: number }
  | { readonly kind: 'abort'; readonly pick: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'read' }
  | { readonly kind: 'isolate' }
  | { readonly kind: 'reset' };

class ClientError extends Error {
  readonly isClientError = true;
}

// ---------------------------------------------------------------------------
// Reference model, from the specification (exact integer arithmetic for rates).

type ModelState =
  | { readonly kind: 'closed' }
  | { readonly kind: 'open'; readonly retryAt: number }
  | { readonly kind: 'half-open'; probes: number; successes: number };

type Admission =
  | { readonly admitted: true; readonly generation: number }
  | { readonly admitted: false; readonly retryAfterMs: number };

class Model {
  state: ModelState = { kind: 'closed' };
  generation = 0;
  successes = 0;
  failures = 0;
  slowCalls = 0;
  rejections = 0;
  #run = 0;
  #window: boolean[] = [];

  constructor(readonly config: Config) {}

  isDue(now: number): boolean {
    return this.state.kind === 'open' && now >= this.state.retryAt;
  }

  read(now: number): ModelState['kind'] {
    if (this.isDue(now)) this.#to({ kind: 'half-open', probes: 0, successes: 0 });
    return this.state.kind;
  }

  admit(now: number): Admission {
    this.read(now);
    const state = this.state;
    if (state.kind === 'open') {
      this.rejections += 1;
      return { admitted: false, retryAfterMs: state.retryAt - now };
    }
    if (state.kind === 'half-open') {
      if (state.probes >= this.config.halfOpenMaxCalls) {
        this.rejections += 1;
        return { admitted: false, retryAfterMs: 0 };
      }
      state.probes += 1;
    }
    return { admitted: true, generation: this.generation };
  }

  /** `errored`: fn rejected; `callerAborted`: the caller's signal was aborted by then. */
  settle(
    generation: number,
    durationMs: number,
    outcome: Outcome | 'abort',
    callerAborted: boolean,
    now: number,
  ): void {
    if (outcome !== 'ok' && callerAborted) {
      const state = this.state;
      if (generation === this.generation && state.kind === 'half-open') state.probes -= 1;
      return;
    }
    if (outcome === 'fail' || outcome === 'abort') {
      this.failures += 1;
      this.#failure(generation, now);
      return;
    }
    this.successes += 1;
    const slow = this.config.slowCallMs !== undefined && durationMs >= this.config.slowCallMs;
    if (slow) {
      this.slowCalls += 1;
      this.#failure(generation, now);
    } else {
      this.#success(generation);
    }
  }

  isolate(): void {
    this.#to({ kind: 'open', retryAt: Infinity });
  }

  reset(): void {
    this.#run = 0;
    this.#window = [];
    this.#to({ kind: 'closed' });
  }

  #success(generation: number): void {
    if (generation !== this.generation) return;
    const state = this.state;
    if (state.kind === 'closed') {
      this.#run = 0;
      this.#push(false);
    } else if (state.kind === 'half-open') {
      state.successes += 1;
      if (state.successes >= this.config.halfOpenMaxCalls) this.reset();
    }
  }

  #failure(generation: number, now: number): void {
    if (generation !== this.generation) return;
    const state = this.state;
    if (state.kind === 'half-open' || (state.kind === 'closed' && this.#strategyFailure())) {
      this.#to({ kind: 'open', retryAt: now + this.config.resetTimeoutMs });
    }
  }

  #strategyFailure(): boolean {
    const policy = this.config.policy;
    if (policy.kind === 'consecutive') {
      this.#run += 1;
      return this.#run >= policy.threshold;
    }
    this.#push(true);
    const calls = this.#window.length;
    const failures = this.#window.filter(Boolean).length;
    return calls >= policy.minimumCalls && failures * 100 >= policy.percent * calls;
  }

  #push(failure: boolean): void {
    if (this.config.policy.kind !== 'rate') return;
    this.#window.push(failure);
    if (this.#window.length > this.config.policy.windowSize) this.#window.shift();
  }

  #to(state: ModelState): void {
    this.state = state;
    this.generation += 1;
  }
}

// ---------------------------------------------------------------------------
// The harness: a real breaker, a controllable fn, and what we observed.

type Period = {
  readonly id: number;
  invoked: number;
  inFlight: number;
  successes: number;
  callerAborts: number;
};

type Phase =
  | { readonly kind: 'closed'; readonly epoch: number }
  | { readonly kind: 'open'; readonly epoch: number; readonly nextAttemptAt: number }
  | { readonly kind: 'half-open'; readonly epoch: number; readonly period: Period };

type Transition = {
  readonly to: 'open' | 'isolate' | 'half-open' | 'close';
  readonly from: Phase;
  readonly at: number;
};

type Classification = 'success' | 'slow' | 'failure' | 'neutral';

type Tracked = {
  readonly id: number;
  readonly plan: Plan;
  readonly controller: AbortController;
  readonly startedAt: number;
  readonly admission: Admission;
  readonly invoked: boolean;
  /** The epoch (state-change count) and half-open period the call was admitted in. */
  readonly epoch: number;
  readonly period: Period | undefined;
  readonly resolve: (value: string) => void;
  readonly reject: (error: unknown) => void;
  readonly done: Promise<void>;
  fnSettled: boolean;
  /** What fn rejected with, once it did. */
  thrown: unknown;
  result:
    | { readonly ok: true; readonly value: unknown }
    | { readonly ok: false; readonly error: unknown }
    | undefined;
};

class Harness {
  readonly breaker: CircuitBreaker;
  readonly model: Model;
  readonly problems: string[] = [];
  readonly pending: Tracked[] = [];
  transitions: Transition[] = [];
  phase: Phase = { kind: 'closed', epoch: 0 };
  epoch = 0;
  periods = 0;
  attempted = 0;
  neutral = 0;
  #nextId = 0;

  constructor(readonly config: Config) {
    const { policy, halfOpenMaxCalls, resetTimeoutMs, slowCallMs } = config;
    const options: CircuitBreakerOptions = {
      halfOpenMaxCalls,
      resetTimeoutMs,
      ...(slowCallMs === undefined ? {} : { slowCallMs }),
      ...(policy.kind === 'consecutive'
        ? { failureThreshold: policy.threshold }
        : {
            failureRate: {
              threshold: policy.percent / 100,
              windowSize: policy.windowSize,
              minimumCalls: policy.minimumCalls,
            },
          }),
    };
    this.breaker = new CircuitBreaker('prop', options);
    this.model = new Model(config);
    // Listeners only record: an assertion thrown here would be swallowed by the emitter.
    this.breaker.on('open', ({ retryAfterMs, isolated }) => {
      const expected = isolated ? Infinity : resetTimeoutMs;
      if (retryAfterMs !== expected)
        this.problems.push(`open event retryAfterMs ${retryAfterMs}, expected ${expected}`);
      this.#enter(
        { kind: 'open', epoch: ++this.epoch, nextAttemptAt: Date.now() + retryAfterMs },
        isolated ? 'isolate' : 'open',
      );
    });
    this.breaker.on('half-open', () => {
      this.periods += 1;
      const period: Period = {
        id: this.periods,
        invoked: 0,
        inFlight: 0,
        successes: 0,
        callerAborts: 0,
      };
      this.#enter({ kind: 'half-open', epoch: ++this.epoch, period }, 'half-open');
    });
    this.breaker.on('close', () => {
      this.#enter({ kind: 'closed', epoch: ++this.epoch }, 'close');
    });
    this.breaker.on('reject', ({ state }) => {
      if (state !== this.phase.kind)
        this.problems.push(`reject event says ${state} while ${this.phase.kind}`);
    });
  }

  #enter(next: Phase, to: Transition['to']): void {
    this.transitions.push({ to, from: this.phase, at: Date.now() });
    this.phase = next;
  }

  /** Starts one call, synchronously, and checks its admission. */
  start(plan: Plan): Tracked {
    const now = Date.now();
    const id = this.#nextId++;
    const controller = new AbortController();
    const phase = this.phase;
    // (5) The breaker said it is open until nextAttemptAt: the call must be rejected.
    const mustReject = phase.kind === 'open' && now < phase.nextAttemptAt;
    const expectedAdmission = this.model.admit(now);
    this.attempted += 1;
    let resolve!: (value: string) => void;
    let reject!: (error: unknown) => void;
    // Written by fn, which the breaker calls synchronously from call() when it admits it.
    const seen: { invoked: boolean; epoch: number; period: Period | undefined } = {
      invoked: false,
      epoch: -1,
      period: undefined,
    };
    const fn = ({ signal }: { readonly signal: AbortSignal | undefined }): Promise<string> => {
      seen.invoked = true;
      seen.epoch = this.epoch;
      if (signal !== controller.signal)
        this.problems.push(`call ${id}: fn did not get the caller's signal`);
      const current = this.phase;
      if (current.kind === 'open') this.problems.push(`call ${id}: fn invoked while open`);
      if (current.kind === 'half-open') {
        const period = current.period;
        seen.period = period;
        period.invoked += 1;
        period.inFlight += 1;
        // (1) Never more probes in flight than slots; without caller aborts, never more probes at all.
        if (period.inFlight > this.config.halfOpenMaxCalls) {
          this.problems.push(`half-open period ${period.id}: ${period.inFlight} probes in flight`);
        }
        if (period.callerAborts === 0 && period.invoked > this.config.halfOpenMaxCalls) {
          this.problems.push(
            `half-open period ${period.id}: ${period.invoked} probes without aborts`,
          );
        }
      }
      return new Promise<string>((res, rej) => {
        resolve = res;
        reject = rej;
        if (plan.honorsAbort) {
          signal?.addEventListener('abort', () => {
            this.#fnSettles(tracked);
            tracked.thrown = signal.reason;
            rej(signal.reason as Error);
          });
        }
      });
    };
    const promise = this.breaker.call(fn, { signal: controller.signal });
    const tracked: Tracked = {
      id,
      plan,
      controller,
      startedAt: now,
      admission: expectedAdmission,
      invoked: seen.invoked,
      epoch: seen.epoch,
      period: seen.period,
      resolve: (value) => {
        resolve(value);
      },
      reject: (error) => {
        reject(error);
      },
      done: promise.then(
        (value) => {
          tracked.result = { ok: true, value };
        },
        (error: unknown) => {
          tracked.result = { ok: false, error };
        },
      ),
      fnSettled: !seen.invoked,
      thrown: undefined,
      result: undefined,
    };
    const invoked = seen.invoked;
    if (mustReject && invoked)
      this.problems.push(`call ${id}: admitted while open before nextAttemptAt`);
    if (expectedAdmission.admitted !== invoked) {
      this.problems.push(
        `call ${id}: breaker ${invoked ? 'admitted' : 'rejected'} it, model disagrees`,
      );
    }
    if (invoked) this.pending.push(tracked);
    return tracked;
  }

  /** Checks a rejected call: a CircuitOpenError, fn never invoked, the right retryAfterMs. */
  async checkRejected(call: Tracked): Promise<void> {
    if (call.invoked) return;
    await call.done;
    const result = call.result;
    if (result === undefined || result.ok) {
      this.problems.push(`call ${call.id}: not invoked but fulfilled`);
      return;
    }
    const error = result.error;
    if (!(error instanceof CircuitOpenError) || !isSwitchboardError(error, 'CIRCUIT_OPEN')) {
      this.problems.push(`call ${call.id}: rejected with ${String(error)}, not CircuitOpenError`);
      return;
    }
    if (!call.admission.admitted && error.retryAfterMs !== call.admission.retryAfterMs) {
      this.problems.push(
        `call ${call.id}: retryAfterMs ${error.retryAfterMs}, model ${call.admission.retryAfterMs}`,
      );
    }
    const phase = this.phase;
    if (phase.kind === 'open' && error.retryAfterMs !== phase.nextAttemptAt - call.startedAt) {
      this.problems.push(
        `call ${call.id}: retryAfterMs ${error.retryAfterMs} while open until ${phase.nextAttemptAt}`,
      );
    }
    if (phase.kind === 'half-open' && error.retryAfterMs !== 0) {
      this.problems.push(`call ${call.id}: retryAfterMs ${error.retryAfterMs} while half-open`);
    }
  }

  #fnSettles(call: Tracked): void {
    if (call.fnSettled) return;
    call.fnSettled = true;
    if (call.period !== undefined) call.period.inFlight -= 1;
  }

  /** Settles fn as planned, waits for the breaker, checks how the call moved the state. */
  async settle(call: Tracked): Promise<void> {
    this.#fnSettles(call);
    const now = Date.now();
    const callerAborted = call.controller.signal.aborted;
    const outcome = call.plan.outcome;
    if (outcome === 'ok') {
      call.resolve(`value ${call.id}`);
    } else {
      call.thrown =
        outcome === 'client' ? new ClientError(`client ${call.id}`) : new Error(`fail ${call.id}`);
      call.reject(call.thrown);
    }
    const classification = this.#classify(outcome, callerAborted, now - call.startedAt);
    await this.#finish(call, outcome, callerAborted, now, classification);
  }

  /** The caller aborts; a call whose fn honours the signal settles at once (neutral). */
  async abort(call: Tracked): Promise<void> {
    if (call.controller.signal.aborted || call.fnSettled) return;
    if (call.period !== undefined) call.period.callerAborts += 1;
    call.controller.abort();
    if (!call.plan.honorsAbort) return;
    await this.#finish(call, 'abort', true, Date.now(), 'neutral');
  }

  #classify(outcome: Outcome, callerAborted: boolean, durationMs: number): Classification {
    if (outcome !== 'ok' && callerAborted) return 'neutral';
    if (outcome === 'fail') return 'failure';
    const slowCallMs = this.config.slowCallMs;
    return slowCallMs !== undefined && durationMs >= slowCallMs ? 'slow' : 'success';
  }

  async #finish(
    call: Tracked,
    outcome: Outcome | 'abort',
    callerAborted: boolean,
    now: number,
    classification: Classification,
  ): Promise<void> {
    const index = this.pending.indexOf(call);
    if (index >= 0) this.pending.splice(index, 1);
    if (call.admission.admitted) {
      this.model.settle(
        call.admission.generation,
        now - call.startedAt,
        outcome,
        callerAborted,
        now,
      );
    }
    await call.done;
    const result = call.result;
    if (result === undefined) throw new Error('unreachable: call not settled');
    // An admitted call settles exactly as fn did: same value, or the very same error.
    const passedThrough =
      outcome === 'ok'
        ? result.ok && result.value === `value ${call.id}`
        : !result.ok && result.error === call.thrown;
    if (!passedThrough) this.problems.push(`call ${call.id}: did not pass fn's outcome through`);
    if (classification === 'neutral') this.neutral += 1;
    const period = call.period;
    if (classification === 'success' && period !== undefined) period.successes += 1;
    // (3) Transitions caused by this outcome.
    for (const transition of this.transitions) {
      const current = transition.from.epoch === call.epoch;
      if (transition.to === 'open') {
        if (classification !== 'failure' && classification !== 'slow') {
          this.problems.push(`call ${call.id}: opened the breaker on a ${classification}`);
        }
        if (!current) this.problems.push(`call ${call.id}: a stale outcome opened the breaker`);
      } else if (transition.to === 'close') {
        if (classification !== 'success')
          this.problems.push(`call ${call.id}: closed the breaker on a ${classification}`);
        if (!current) this.problems.push(`call ${call.id}: a stale outcome closed the breaker`);
        const from = transition.from;
        if (from.kind !== 'half-open') {
          this.problems.push(`call ${call.id}: closed a ${from.kind} breaker`);
        } else if (from.period.successes < this.config.halfOpenMaxCalls) {
          this.problems.push(`closed after ${from.period.successes} probe successes`);
        }
      } else {
        this.problems.push(`call ${call.id}: settling caused ${transition.to}`);
      }
    }
    this.transitions = [];
  }

  /** Checks the breaker against what we observed and against the model. */
  check(): void {
    const now = Date.now();
    for (const transition of this.transitions) {
      // Outcomes, isolate() and reset() consumed their own transitions: all that is
      // left came from a call or a state read, which may only end an open period.
      const from = transition.from;
      if (transition.to !== 'half-open') {
        this.problems.push(`${transition.to} without an outcome, isolate() or reset()`);
      } else if (from.kind !== 'open' || transition.at < from.nextAttemptAt) {
        this.problems.push(`half-open at ${transition.at} from ${from.kind}`);
      }
    }
    this.transitions = [];
    expect(this.problems).toEqual([]);
    // Reading the state of a due open breaker turns it half-open; leave that to the next call
    // (or a 'read' command) so the transition inside call() is exercised too.
    if (this.model.isDue(now)) return;
    const stats: CircuitBreakerStats = this.breaker.stats();
    expect(this.transitions).toEqual([]);
    const model = this.model;
    expect(stats.state).toBe(model.state.kind);
    expect(stats.state).toBe(this.phase.kind);
    expect({
      successes: stats.successes,
      failures: stats.failures,
      slowCalls: stats.slowCalls,
      rejections: stats.rejections,
    }).toEqual({
      successes: model.successes,
      failures: model.failures,
      slowCalls: model.slowCalls,
      rejections: model.rejections,
    });
    const expectedNext =
      model.state.kind === 'open'
        ? Number.isFinite(model.state.retryAt)
          ? model.state.retryAt
          : null
        : undefined;
    expect(stats.nextAttemptAt).toBe(expectedNext);
    // ...and it is the time the 'open' event announced.
    const phase = this.phase;
    if (phase.kind === 'open') {
      expect(stats.nextAttemptAt).toBe(
        Number.isFinite(phase.nextAttemptAt) ? phase.nextAttemptAt : null,
      );
    }
    // (4) Every attempted call is a success, a failure, a rejection, neutral, or still pending.
    expect(
      stats.successes + stats.failures + stats.rejections + this.neutral + this.pending.length,
    ).toBe(this.attempted);
  }

  async run(command: Command): Promise<void> {
    switch (command.kind) {
      case 'start': {
        await this.checkRejected(this.start(command.plan));
        break;
      }
      case 'burst': {
        // All started in one synchronous stretch: they race for the probe slots.
        const calls = command.plans.map((plan) => this.start(plan));
        for (const call of calls) await this.checkRejected(call);
        break;
      }
      case 'settle': {
        const open = this.pending.filter((call) => !call.fnSettled);
        const call = open[command.pick % Math.max(open.length, 1)];
        if (call !== undefined) await this.settle(call);
        break;
      }
      case 'abort': {
        const live = this.pending.filter(
          (call) => !call.fnSettled && !call.controller.signal.aborted,
        );
        const call = live[command.pick % Math.max(live.length, 1)];
        if (call !== undefined) await this.abort(call);
        break;
      }
      case 'advance': {
        vi.advanceTimersByTime(command.ms);
        break;
      }
      case 'read': {
        const expected = this.model.read(Date.now());
        expect(this.breaker.state).toBe(expected);
        break;
      }
      case 'isolate': {
        this.breaker.isolate();
        this.model.isolate();
        if (this.transitions.map((t) => t.to).join() !== 'isolate')
          this.problems.push('isolate() did not open');
        this.transitions = [];
        break;
      }
      case 'reset': {
        const wasClosed = this.phase.kind === 'closed';
        this.breaker.reset();
        this.model.reset();
        // A reset while closed changes no state but still makes older outcomes stale.
        if (wasClosed) this.epoch += 1;
        if (this.transitions.map((t) => t.to).join() !== (wasClosed ? '' : 'close')) {
          this.problems.push('reset() did not close');
        }
        if (wasClosed) this.phase = { kind: 'closed', epoch: this.epoch };
        this.transitions = [];
        break;
      }
    }
    this.check();
  }

  /** Settles whatever is still pending, checking after each, then the final totals. */
  async drain(): Promise<void> {
    // Includes aborted calls whose fn ignores the signal: they still answer, late.
    for (let call = this.pending[0]; call !== undefined; call = this.pending[0]) {
      if (call.fnSettled) throw new Error(`harness bug: call ${call.id} settled but pending`);
      await this.settle(call);
      this.check();
    }
    // Read the state (turning a due breaker half-open) so the final totals are always checked.
    expect(this.breaker.state).toBe(this.model.read(Date.now()));
    this.check();
    expect(this.pending).toHaveLength(0);
  }
}

// ---------------------------------------------------------------------------
// Arbitraries

/** A call plan; `failWeight` sets how sick the callee is in one run (ok weighs 4, client errors 1). */
const planArb = (failWeight: number): fc.Arbitrary<Plan> =>
  fc.record({
    outcome: fc.oneof(
      { weight: 4, arbitrary: fc.constant<Outcome>('ok') },
      { weight: failWeight, arbitrary: fc.constant<Outcome>('fail') },
      { weight: 1, arbitrary: fc.constant<Outcome>('client') },
    ),
    honorsAbort: fc.boolean(),
  });

/**
 * Commands: mostly calls, settlements and time. isolate() and reset() come in
 * about a third of the runs only, since an isolated breaker just rejects until
 * the next reset() and would crowd out the half-open periods.
 */
const commandArb = (planArb: fc.Arbitrary<Plan>, admin: boolean): fc.Arbitrary<Command> =>
  fc.oneof(
    { weight: 20, arbitrary: fc.record({ kind: fc.constant('start' as const), plan: planArb }) },
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('burst' as const),
        plans: fc.array(planArb, { minLength: 2, maxLength: 6 }),
      }),
    },
    {
      weight: 24,
      arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat({ max: 20 }) }),
    },
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat({ max: 20 }) }),
    },
    {
      weight: 14,
      arbitrary: fc.record({
        kind: fc.constant('advance' as const),
        // Small steps (slow-call edges) and big ones (past resetTimeoutMs).
        ms: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 2_500 })),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ kind: 'read' as const }) },
    ...(admin
      ? [
          { weight: 1, arbitrary: fc.constant({ kind: 'isolate' as const }) },
          { weight: 2, arbitrary: fc.constant({ kind: 'reset' as const }) },
        ]
      : []),
  );

const commandsArb: fc.Arbitrary<Command[]> = fc
  .record({ failWeight: fc.integer({ min: 1, max: 10 }), admin: fc.boolean() })
  .chain(({ failWeight, admin }) =>
    fc.array(commandArb(planArb(failWeight), admin), { minLength: 10, maxLength: 50, size: 'max' }),
  );

const commonArb = {
  halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
  resetTimeoutMs: fc.constantFrom(0, 1, 100, 500),
};

const consecutiveArb: fc.Arbitrary<Config> = fc.record({
  policy: fc.record({
    kind: fc.constant('consecutive' as const),
    threshold: fc.integer({ min: 1, max: 5 }),
  }),
  ...commonArb,
  slowCallMs: fc.constant(undefined),
});

const rateArb: fc.Arbitrary<Config> = fc.record({
  policy: fc.integer({ min: 1, max: 8 }).chain((windowSize) =>
    fc.record({
      kind: fc.constant('rate' as const),
      percent: fc.integer({ min: 1, max: 100 }),
      windowSize: fc.constant(windowSize),
      minimumCalls: fc.integer({ min: 1, max: windowSize }),
    }),
  ),
  ...commonArb,
  slowCallMs: fc.constant(undefined),
});

const slowArb: fc.Arbitrary<Config> = fc.record({
  policy: fc.oneof(
    fc.record({
      kind: fc.constant('consecutive' as const),
      threshold: fc.integer({ min: 1, max: 5 }),
    }),
    fc.record({
      kind: fc.constant('rate' as const),
      percent: fc.integer({ min: 1, max: 100 }),
      windowSize: fc.constant(4),
      minimumCalls: fc.integer({ min: 1, max: 4 }),
    }),
  ),
  ...commonArb,
  slowCallMs: fc.integer({ min: 1, max: 200 }),
});

async function runScenario(config: Config, commands: readonly Command[]): Promise<void> {
  vi.setSystemTime(START);
  const harness = new Harness(config);
  for (const command of commands) await harness.run(command);
  await harness.drain();
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CircuitBreaker under random command sequences', () => {
  it.each([
    ['consecutive failures (threshold 1..5)', consecutiveArb],
    ['a failure rate over a sliding window', rateArb],
    ['slow calls counted as failures', slowArb],
  ] as const)('keeps its invariants with %s', async (_name, configArb) => {
    await fc.assert(fc.asyncProperty(configArb, commandsArb, runScenario), { numRuns: 200 });
  });
});
