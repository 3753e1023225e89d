/**
 * `switchboard/testing`: helpers for users' own vitest suites (and ours).
 *
 * @module
 */
export { RedisServerError, startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
