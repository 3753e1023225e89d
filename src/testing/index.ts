/**
 * `switchboard/testing`: helpers for users' own vitest suites (and ours).
 * HTTP contracts are defined with `defineHttpContract` from `switchboard`
 * (consumers call through them in production); they are verified here.
 *
 * @module
 */
export { ContractViolationError } from '../errors.js';
export type { ContractViolation } from '../errors.js';
export { createContractClient } from '../http/contract/contract-client.js';
export type {
  ContractCallOptions,
  ContractClient,
  ContractMethod,
  ContractRequester,
  OperationRequest,
  OperationResponse,
} from '../http/contract/contract-client.js';
export { checkEventCompatibility } from './event-compatibility.js';
export type {
  EventChangeKind,
  EventCompatibilityReport,
  EventSchemaChange,
} from './event-compatibility.js';
export type { DataMatcher, EventMatcher } from './event-matching.js';
export type { JsonObject, JsonValue } from './event-schema/json.js';
export { EVENT_SCHEMA_SNAPSHOT_FORMAT, eventSchemaSnapshot } from './event-schema-snapshot.js';
export type {
  EventCatalogue,
  EventSchemaEntry,
  EventSchemaSnapshot,
} from './event-schema-snapshot.js';
export { defineHttpContract } from '../http/contract/http-contract.js';
export type {
  HttpContract,
  HttpOperation,
  HttpOperations,
} from '../http/contract/http-contract.js';
export type {
  HttpContractIssue,
  HttpContractIssueKind,
  HttpContractReport,
  HttpContractResult,
} from './http-contract-report.js';
export type { PathParamNames, PathParams } from '../http/contract/path-params.js';
export { createRecordingBus, RecordingBus } from './recording-bus.js';
export type { RecordingBusOptions, WaitForEventOptions } from './recording-bus.js';
export { freePort, freePorts } from './free-port.js';
export { startRedisCluster } from './redis-cluster.js';
export type { RedisCluster, RedisClusterNode, RedisClusterOptions } from './redis-cluster.js';
export { RedisServerError, startRedisServer } from './redis-server.js';
export type { RedisAclUser, RedisServer, RedisServerOptions } from './redis-server.js';
export { TestCertificateError, makeTestCertificates } from './test-certificates.js';
export type { TestCertificates } from './test-certificates.js';
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
export { assertHttpContract, verifyHttpContract } from './verify-http-contract.js';
export type {
  HttpContractFixtures,
  OperationFixture,
  SkippedOperation,
  VerifyHttpContractOptions,
} from './verify-http-contract.js';
