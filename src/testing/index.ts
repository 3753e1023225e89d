/**
 * `switchboard/testing`: helpers for users' own vitest suites (and ours).
 *
 * @module
 */
export type { DataMatcher, EventMatcher } from './event-matching.js';
export { createRecordingBus, RecordingBus } from './recording-bus.js';
export type { RecordingBusOptions, WaitForEventOptions } from './recording-bus.js';
export { RedisServerError, startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
export { createTestRegistry } from './test-registry.js';
export { createTestService } from './test-service.js';
export type {
  RecordedRequest,
  RegistryLike,
  TestBehaviour,
  TestResponse,
  TestService,
} from './test-service.js';
export { runTransportContract } from './transport-contract.js';
