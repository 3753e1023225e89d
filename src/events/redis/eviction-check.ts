import { TransportError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { RedisLink } from './redis-link.js';
import { parseMap } from './stream-reply.js';

/** What a durable subscription does when Redis may evict keys; see `RedisTransportOptions.evictionPolicy`. */
export type EvictionPolicyMode = 'warn' | 'refuse' | 'ignore';

/**
 * Checks Redis's `maxmemory-policy` before a durable subscription starts.
 * Under any policy but `noeviction`, Redis deletes keys when it runs out of
 * memory, and an evicted stream takes its unread and pending events with it,
 * silently: the one loss the transport cannot see. Managed Redis services and
 * least-privilege ACL users often forbid `CONFIG`; then the check can only
 * warn that it could not look, whatever the mode.
 *
 * @throws {@link TransportError} in `'refuse'` mode when the policy can evict.
 */
export async function checkEvictionPolicy(
  link: RedisLink,
  mode: EvictionPolicyMode,
  logger: Logger,
): Promise<void> {
  if (mode === 'ignore') return;
  let policy: string;
  try {
    // Every master of a cluster: one that may evict is enough to lose events.
    const replies = await link.onEveryMaster('check the eviction policy', [
      'CONFIG',
      'GET',
      'maxmemory-policy',
    ]);
    const policies = replies.map((reply) => {
      const value = parseMap(reply).get('maxmemory-policy');
      return typeof value === 'string' ? value : 'unknown';
    });
    policy = policies.find((each) => each !== 'noeviction') ?? 'noeviction';
  } catch (error) {
    logger.warn(
      { error: error instanceof Error ? error.message : String(error) },
      'could not read Redis maxmemory-policy (CONFIG GET is not allowed?); durable events need it to be noeviction',
    );
    return;
  }
  if (policy === 'noeviction') return;
  const problem = `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict event streams with their unread and pending events; set it to noeviction`;
  if (mode === 'refuse') {
    throw new TransportError('redis', 'subscribe', `${problem} (evictionPolicy: 'refuse')`);
  }
  logger.warn({ policy }, problem);
}
