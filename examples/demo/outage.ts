import { setTimeout as sleep } from 'node:timers/promises';
import { stock } from './accounts.js';
import { expectStatus, field, send, type Exchange } from './http.js';
import type { Session } from './session.js';
import { formatMs } from './timeline.js';

/** The auth service goes down: reads degrade, writes fail fast once the breaker opens. */
export async function authOutage(session: Session): Promise<void> {
  const { stack, timeline, breaker, adaToken, productId } = session;
  const { product } = stack.urls;
  const stockUrl = `${product}/products/${productId}/stock`;
  timeline.step('The auth service goes down');
  timeline.note(await stack.stopAuth());
  const degraded = await send('GET', `${product}/products/${productId}`, { token: adaToken });
  expectStatus(degraded, 200, 'read a product while auth is down');
  if (field(degraded, 'enrichment') !== 'unavailable') throw new Error('the read was not degraded');
  timeline.request(
    degraded,
    `degraded read: creator null, enrichment unavailable (${String(field(degraded, 'degradedReason'))})`,
  );
  const failures: Exchange[] = [];
  for (let i = 0; i < 3; i += 1) {
    const refused = await send('PATCH', stockUrl, { token: adaToken, json: { quantity: 6 } });
    expectStatus(refused, 503, 'update the stock while auth is down');
    failures.push(refused);
    timeline.request(
      refused,
      `${String(field(refused, 'error'))}: ${String(field(refused, 'reason'))}`,
    );
  }
  const fast = failures.at(-1);
  await breaker.until('open');
  const ready = await send('GET', `${product}/ready`);
  expectStatus(ready, 503, 'product readiness while auth is down');
  timeline.request(ready, 'not ready: auth breaker open');
  const again = await send('GET', `${product}/products/${productId}`, { token: adaToken });
  expectStatus(again, 200, 'read again while auth is down');
  timeline.request(again, `degraded read (${String(field(again, 'degradedReason'))})`);
  timeline.note(
    `✓ writes refused with 503 in ${fast === undefined ? '?' : formatMs(fast.ms)} once the breaker is open; reads still answer`,
  );
}

/** The auth service comes back: the breaker's next probe succeeds and closes it. */
export async function authRecovery(session: Session): Promise<void> {
  const { stack, timeline, breaker, adaToken, productId } = session;
  const { product } = stack.urls;
  timeline.step('The auth service comes back');
  timeline.note(await stack.restartAuth());
  const waitMs = breaker.nextProbeInMs();
  timeline.note(`waiting ${Math.ceil(waitMs)} ms for the breaker's next probe`);
  await sleep(waitMs + 50);
  const recovered = await send('GET', `${product}/products/${productId}`, { token: adaToken });
  expectStatus(recovered, 200, 'read after recovery');
  if (field(recovered, 'enrichment') !== 'complete') {
    throw new Error('the read after recovery was not enriched');
  }
  timeline.request(recovered, 'enriched again: creator from auth');
  const updated = await send('PATCH', `${product}/products/${productId}/stock`, {
    token: adaToken,
    json: { quantity: 5, reason: 'sold two' },
    correlationId: 'demo-stock-after',
  });
  expectStatus(updated, 200, 'update the stock after recovery');
  timeline.request(updated, `stock ${stock(updated)}`, 'as ada');
  await breaker.until('closed');
  timeline.note('✓ recovered: the breaker closed after one successful probe');
}
