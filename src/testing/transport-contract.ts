import type { EventTransport } from '../events/transport.js';
import type { ContractContext, VitestApi } from './contract/helpers.js';
import { durableScenarios } from './contract/durable-scenarios.js';
import { failureScenarios } from './contract/failure-scenarios.js';
import { lifecycleScenarios } from './contract/lifecycle-scenarios.js';

/**
 * Registers the transport contract: the vitest suite every
 * {@link EventTransport} must pass, so a new transport (yours, or a future
 * Kafka or NATS one) proves the same semantics as the built-in ones: groups
 * each get every message once, consumers of a group split messages, the
 * concurrency bound, retries that do not block, dead letters after
 * `maxDeliveries` or a poison verdict, redrive, draining and non-draining
 * stop with claim by another consumer, broadcast fan-out, start positions and
 * `publishMany` order.
 *
 * Await it at the top level of a test file: it loads `vitest` (an optional
 * peer dependency) only then, so `switchboard/testing` stays usable without
 * vitest. Each test gets fresh transports from `makeTransport`, uses unique
 * topic and group names, and closes its transports afterwards. Timings are
 * small (`claimIdleMs` 150 ms, retry delays 10 ms).
 *
 * @param name - shown in the suite's title.
 * @param makeTransport - returns a new, open transport each call.
 * @example
 * import { memoryTransport } from 'switchboard';
 * import { runTransportContract } from 'switchboard/testing';
 *
 * await runTransportContract('memory', () => memoryTransport());
 */
export async function runTransportContract(
  name: string,
  makeTransport: () => EventTransport | Promise<EventTransport>,
): Promise<void> {
  const { describe, it, expect, afterEach } = await import('vitest');
  const api: VitestApi = { describe, it, expect, afterEach };
  describe(`transport contract: ${name}`, () => {
    const opened: EventTransport[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((transport) => transport.close()));
    });
    const context: ContractContext = {
      api,
      open: async () => {
        const transport = await makeTransport();
        opened.push(transport);
        return transport;
      },
    };
    durableScenarios(context);
    failureScenarios(context);
    lifecycleScenarios(context);
  });
}
