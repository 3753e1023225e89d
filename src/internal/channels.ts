import { channel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` names, for tracing tools. Publishing costs nothing
 * while no one subscribes (callers check `hasSubscribers` first).
 */
export const breakerStateChannel = channel('switchboard:circuit-breaker:state');
export const retryAttemptChannel = channel('switchboard:retry:attempt');
