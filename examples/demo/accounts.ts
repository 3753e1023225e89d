import { expectStatus, field, send, type Exchange } from './http.js';
import type { Timeline } from './timeline.js';

/** Registers `<name>@example.com` (password `<name>-password`); resolves with the user's id. */
export async function register(
  timeline: Timeline,
  api: string,
  name: string,
  fullName: string,
  correlationId = `demo-register-${name}`,
): Promise<number> {
  const exchange = await send('POST', `${api}/auth/register`, {
    json: { email: `${name}@example.com`, username: name, password: `${name}-password`, fullName },
    correlationId,
  });
  expectStatus(exchange, 201, `register ${name}`);
  const id = Number(field(exchange, 'id'));
  timeline.request(exchange, `user ${id} (${name}@example.com)`);
  return id;
}

/** Logs in; resolves with the access token. */
export async function login(
  timeline: Timeline,
  api: string,
  email: string,
  password: string,
  correlationId: string,
): Promise<string> {
  const exchange = await send('POST', `${api}/auth/login`, {
    json: { email, password },
    correlationId,
  });
  expectStatus(exchange, 200, `log in ${email}`);
  timeline.request(exchange, `${email}: ES256 JWT issued`);
  return String(field(exchange, 'accessToken'));
}

/** "old → new" of a stock update's answer. */
export function stock(exchange: Exchange): string {
  return `${String(field(exchange, 'oldQuantity'))} → ${String(field(exchange, 'newQuantity'))}`;
}
