import type { InstanceStatus } from './service-instance.js';

/** Consecutive check outcomes of one instance; a result of the other kind resets a run. */
export type Streak = { passes: number; failures: number };

/** The thresholds {@link healthTransition} applies. */
export type Thresholds = { readonly unhealthyThreshold: number; readonly healthyThreshold: number };

/**
 * The status after one more check result (already counted in `streak`), and
 * why; `undefined` when the status stays. A failed check makes a healthy
 * instance suspect at once (it may be going down: prefer the others) and
 * unhealthy after `unhealthyThreshold` in a row. A suspect instance needs one
 * passed check to be healthy again, an unhealthy one `healthyThreshold`.
 */
export function healthTransition(
  status: InstanceStatus,
  streak: Streak,
  failure: string | undefined,
  thresholds: Thresholds,
): { readonly to: InstanceStatus; readonly reason: string } | undefined {
  if (failure === undefined) {
    if (status === 'suspect') return { to: 'healthy', reason: 'health check passed' };
    if (status === 'unhealthy' && streak.passes >= thresholds.healthyThreshold) {
      return { to: 'healthy', reason: `${streak.passes} health checks passed in a row` };
    }
    return undefined;
  }
  if (status !== 'unhealthy' && streak.failures >= thresholds.unhealthyThreshold) {
    const times = streak.failures === 1 ? '' : ` ${streak.failures} times in a row`;
    return { to: 'unhealthy', reason: `health check failed${times} (last: ${failure})` };
  }
  if (status === 'healthy') return { to: 'suspect', reason: `health check failed (${failure})` };
  return undefined;
}
