import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { redisTransport } from 'switchboard';
import { runTransportContract } from 'switchboard/testing';

const url = inject('redisUrl');

// Each transport gets its own prefix: tests never see each other's keys.
await runTransportContract('redis', () =>
  redisTransport({ url, prefix: `contract-${randomUUID()}`, blockMs: 1_000 }),
);
