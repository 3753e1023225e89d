import { listIssues, type SchemaIssue } from './schema-issues.js';
import { SwitchboardError, type SwitchboardErrorOptions } from './switchboard-error.js';

/**
 * An event (or its data) does not match its definition: thrown by
 * `definition.create` for a wrong payload, `definition.parse` and
 * `fromCloudEvent` for an invalid envelope. `issues` lists every problem with
 * its path (`['data', 'price']`).
 *
 * @example
 * import { isSwitchboardError, ProductEvents } from 'switchboard';
 * try {
 *   ProductEvents.created.create(input);
 * } catch (error) {
 *   if (isSwitchboardError(error, 'EVENT_VALIDATION')) console.log(error.issues);
 * }
 */
export class EventValidationError extends SwitchboardError {
  override readonly name = 'EventValidationError';
  override readonly code = 'EVENT_VALIDATION';
  // A wrong event is the producer's bug: retrying or redelivering it cannot help.
  override readonly isClientError = true;
  /** The event's `type`, when the input had a string one. */
  readonly eventType: string | undefined;
  readonly issues: readonly SchemaIssue[];

  constructor(eventType: string | undefined, issues: readonly SchemaIssue[]) {
    super(
      `Invalid event${eventType === undefined ? '' : ` "${eventType}"`}: ${listIssues(issues)}`,
    );
    this.eventType = eventType;
    this.issues = issues;
  }
}

/**
 * Why received bytes were refused as an event.
 *
 * @example
 * import type { EventDecodeReason } from 'switchboard';
 * const reason: EventDecodeReason = 'too-large';
 */
export type EventDecodeReason =
  'too-large' | 'too-deep' | 'malformed-json' | 'invalid-envelope' | 'unsupported-specversion';

/**
 * Received bytes that are not an event the library accepts: over the size
 * or nesting limit, not JSON, not a valid envelope, or another CloudEvents `specversion`.
 * For `'invalid-envelope'`, `cause` is the {@link EventValidationError}.
 *
 * @example
 * import { decodeEvent, isSwitchboardError } from 'switchboard';
 * try {
 *   decodeEvent(message);
 * } catch (error) {
 *   if (isSwitchboardError(error, 'EVENT_DECODE')) console.log(error.reason); // e.g. 'too-large'
 * }
 */
export class EventDecodeError extends SwitchboardError {
  override readonly name = 'EventDecodeError';
  override readonly code = 'EVENT_DECODE';
  // A poison message stays poison: redelivery cannot fix it.
  override readonly isClientError = true;
  readonly reason: EventDecodeReason;

  constructor(reason: EventDecodeReason, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * The object was closed: a transport, an event bus, a client. Calls after
 * `close()` fail with this instead of half-working.
 */
export class ClosedError extends SwitchboardError {
  override readonly name = 'ClosedError';
  override readonly code = 'CLOSED';
  override readonly isClientError = true;
  /** What was closed, e.g. `'memory transport'`, `'event bus of "product-service"'`. */
  readonly resource: string;

  constructor(resource: string, operation: string) {
    super(`The ${resource} is closed: cannot ${operation}`);
    this.resource = resource;
  }
}

/**
 * An event transport could not do what was asked: Redis refused or failed a
 * command, or stayed unreachable for longer than the transport waits. Nothing
 * was silently dropped: a failed publish may be retried (a publish whose reply
 * was lost can then be stored twice; handlers are at-least-once anyway).
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'TRANSPORT')) console.log(error.transport, error.operation);
 */
export class TransportError extends SwitchboardError {
  override readonly name = 'TransportError';
  override readonly code = 'TRANSPORT';
  /** The transport's kind, e.g. `'redis'`. */
  readonly transport: string;
  /** What failed, e.g. `'publish'`, `'list dead letters'`. */
  readonly operation: string;

  constructor(
    transport: string,
    operation: string,
    message: string,
    options: SwitchboardErrorOptions = {},
  ) {
    super(`The ${transport} transport could not ${operation}: ${message}`, options);
    this.transport = transport;
    this.operation = operation;
  }
}

/**
 * A publish asked for `durability` and the event is stored on the master,
 * but not as many replicas confirmed it within `timeoutMs` (`WAIT`): a
 * failover now could lose it. Retrying stores it again (consumers with
 * `dedupe` handle it once); `messageId` is the stored copy's id.
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'NOT_REPLICATED')) console.log(error.acknowledged, 'of', error.replicas);
 */
export class NotReplicatedError extends SwitchboardError {
  override readonly name = 'NotReplicatedError';
  override readonly code = 'NOT_REPLICATED';
  /** The id the event got on the master. */
  readonly messageId: string;
  /** Replicas asked for. */
  readonly replicas: number;
  /** Replicas that confirmed in time. */
  readonly acknowledged: number;

  constructor(topic: string, messageId: string, replicas: number, acknowledged: number) {
    super(
      `An event on topic "${topic}" is stored (${messageId}) but ${acknowledged} of ${replicas} replica(s) confirmed it in time`,
    );
    this.messageId = messageId;
    this.replicas = replicas;
    this.acknowledged = acknowledged;
  }
}

/**
 * One mismatch found by a contract check: where (an operation, say
 * `getUser (GET /users/:id)`) and what.
 *
 * @example
 * import type { ContractViolation } from 'switchboard/testing';
 * const violation: ContractViolation = { where: 'getUser (GET /users/:id)', message: 'expected status 200, got 500' };
 */
export type ContractViolation = { readonly where: string; readonly message: string };

/**
 * A provider broke a contract its consumers declared: thrown by
 * `assertHttpContract` from `switchboard/testing`, listing every mismatch
 * (wrong status, a body that fails the consumer's schema, an operation left
 * unverified) in `violations` and in its message.
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'CONTRACT_VIOLATION')) console.log(error.contract, error.violations);
 */
export class ContractViolationError extends SwitchboardError {
  override readonly name = 'ContractViolationError';
  override readonly code = 'CONTRACT_VIOLATION';
  /** The contract's name: the service it describes, e.g. `'auth'`. */
  readonly contract: string;
  /** Every mismatch, in the contract's order. */
  readonly violations: readonly ContractViolation[];

  constructor(contract: string, violations: readonly ContractViolation[]) {
    const lines = violations.map((violation) => `  - ${violation.where}: ${violation.message}`);
    super(
      `The "${contract}" contract is violated (${violations.length} ${violations.length === 1 ? 'mismatch' : 'mismatches'}):\n${lines.join('\n')}`,
    );
    this.contract = contract;
    this.violations = violations;
  }
}
