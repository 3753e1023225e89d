/**
 * switchboard: resilient HTTP calls and durable typed events between Node
 * services. Every public name is listed here; nothing from `internal/` is.
 *
 * @module
 */

// errors
export {
  AbortError,
  CircuitOpenError,
  ClosedError,
  ContractViolationError,
  EventDecodeError,
  EventValidationError,
  HostNotAllowedError,
  HttpError,
  InvalidResponseError,
  InvalidUrlError,
  NetworkError,
  NotReplicatedError,
  RegistryStoreError,
  ResponseValidationError,
  RetryExhaustedError,
  ServiceNotFoundError,
  ServiceUnavailableError,
  SwitchboardError,
  TimeoutError,
  TransportError,
  abortErrorFrom,
  isAbortError,
  isClientError,
  isSwitchboardError,
} from './errors.js';
export type {
  ContractViolation,
  EventDecodeReason,
  HostNotAllowedReason,
  InvalidResponseReason,
  RegistryStoreErrorReason,
  RegistryStoreOperation,
  RetryStopReason,
  SchemaIssue,
  SwitchboardErrorByCode,
  SwitchboardErrorCode,
  SwitchboardErrorOptions,
} from './errors.js';

// context
export { currentCorrelation, newCorrelationId, withCorrelation } from './context/correlation.js';
export type { CorrelationContext } from './context/correlation.js';
export {
  childTraceparent,
  createTraceparent,
  formatTraceparent,
  parseTraceparent,
} from './context/traceparent.js';
export type { TraceContext } from './context/traceparent.js';

// resilience
export { CircuitBreaker } from './resilience/circuit-breaker.js';
export type {
  BreakerCallContext,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitState,
} from './resilience/circuit-breaker.js';
export type { BreakerStrategy } from './resilience/breaker/breaker-strategy.js';
export { ConsecutiveFailures } from './resilience/breaker/consecutive-failures.js';
export { FailureRate } from './resilience/breaker/failure-rate.js';
export type { FailureRateOptions } from './resilience/breaker/failure-rate.js';
export { RetryPolicy } from './resilience/retry.js';
export type {
  RetryAttemptContext,
  RetryExecuteOptions,
  RetryInfo,
  RetryOptions,
} from './resilience/retry.js';

// logging
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';

// http
export { ServiceClient } from './http/service-client.js';
export type {
  HttpMethod,
  RequestOptions,
  ResponseOf,
  ServiceClientEvents,
  ServiceClientOptions,
  ServiceRetryOptions,
} from './http/service-client-options.js';
export { AuthServiceClient } from './http/auth-service-client.js';
export type {
  AuthServiceClientOptions,
  AuthServicePaths,
  IntrospectionChecks,
} from './http/auth-service-client.js';
export {
  TokenIntrospectionSchema,
  UserInfoSchema,
  UserPermissionsSchema,
} from './http/auth-schemas.js';
export type { TokenIntrospection, UserInfo, UserPermissions } from './http/auth-schemas.js';
export {
  CORRELATION_ID_HEADER,
  REQUEST_TIMEOUT_HEADER,
  correlationFromHeaders,
  incomingCorrelation,
} from './http/incoming-context.js';
export type { ConnectionOptions } from './http/pool-transport.js';
export { defineHttpContract } from './http/contract/http-contract.js';
export type { HttpContract, HttpOperation, HttpOperations } from './http/contract/http-contract.js';
export { createContractClient } from './http/contract/contract-client.js';
export type {
  ContractCallOptions,
  ContractClient,
  ContractMethod,
  ContractRequester,
  OperationRequest,
  OperationResponse,
} from './http/contract/contract-client.js';
export type { PathParamNames, PathParams } from './http/contract/path-params.js';
export { RetryBudget } from './http/retry-budget.js';
export type { RetryBudgetOptions } from './http/retry-budget.js';
export type { InferInput, InferOutput, StandardSchemaV1 } from './standard-schema.js';
export type { ServiceResolver } from './registry/service-resolver.js';
export type {
  InstanceRecord,
  InstanceRegistration,
  InstanceStatus,
  ServiceInstance,
} from './registry/service-instance.js';
export type { RegistryStore } from './registry/registry-store.js';

// registry
export { ServiceRegistry } from './registry/service-registry.js';
export type { ResolveOptions } from './registry/candidates.js';
export type { ServiceRegistryEvents } from './registry/registry-events.js';
export type { ServiceRegistryOptions } from './registry/registry-options.js';
export type { HealthMonitorOptions } from './registry/health-monitor.js';
export type { ServiceConfig, ServiceConfigEntry } from './registry/registry-config.js';
export type { Balancer, BalancerName } from './registry/balancers/balancer.js';
export { RoundRobinBalancer } from './registry/balancers/round-robin.js';
export { RandomBalancer } from './registry/balancers/random.js';
export type { RandomBalancerOptions } from './registry/balancers/random.js';
export { LeastOutstandingBalancer } from './registry/balancers/least-outstanding.js';

// registry store
export { redisRegistryStore } from './registry/redis-registry-store.js';
export type { RedisRegistryStoreOptions } from './registry/redis-registry-store.js';
export type {
  RedisClusterConnection,
  RedisConnection,
  RedisSentinelConnection,
} from './internal/redis/connection.js';

// events
export { EventEnvelopeSchema, fromCloudEvent, toCloudEvent } from './events/envelope.js';
export type { EventEnvelope } from './events/envelope.js';
export { defineEvent } from './events/define-event.js';
export type {
  EventData,
  EventDefinition,
  EventDefinitionOptions,
  EventMeta,
  EventOf,
} from './events/define-event.js';
export { DEFAULT_MAX_EVENT_BYTES, decodeEvent, encodeEvent } from './events/decode.js';
export { DEFAULT_MAX_EVENT_DEPTH } from './events/json-depth.js';
export type { DecodeEventOptions } from './events/decode.js';
export { UserEvents } from './events/user-events.js';
export { ProductEvents } from './events/product-events.js';
export { SystemEvents } from './events/system-events.js';

// events: bus
export { EventBus } from './events/event-bus.js';
export type {
  BusDelivery,
  BusMessageHandler,
  EventBusEvents,
  EventBusHealth,
  EventBusOptions,
  PublishItem,
  PublishOptions,
} from './events/event-bus-options.js';
export { EventPublisher } from './events/event-publisher.js';
export type { PublishEventOptions } from './events/event-publisher.js';
export { EventSubscriber } from './events/event-subscriber.js';
export type { EventSubscriberOptions } from './events/subscriber-options.js';
export type {
  AnyEventHandler,
  EventHandler,
  EventSubscriberEvents,
  HandlerContext,
  SubscriberHealth,
} from './events/subscriber-events.js';
export type { EventSource } from './events/event-source.js';
export { MemoryDedupeStore } from './events/dedupe.js';
export type { DedupeClaimOptions, DedupeStore } from './events/dedupe.js';

// events: transports
export { memoryTransport } from './events/memory/memory-transport.js';
export type { MemoryTransportOptions } from './events/memory/memory-options.js';
export { redisTransport } from './events/redis/redis-transport.js';
export type { RedisTransportOptions } from './events/redis/redis-options.js';
export type { EvictionPolicyMode } from './events/redis/eviction-check.js';
export type {
  DeadLetter,
  DeadLetterStore,
  DeliveryMode,
  EventTransport,
  MessageHandler,
  HandlerResult,
  PoisonVerdict,
  PossibleDataLoss,
  PublishDurability,
  TrimmedEvents,
  StartPosition,
  SubscriptionSpec,
  SubscriptionStats,
  TransportHealth,
  TransportMessage,
  TransportSubscription,
} from './events/transport.js';
