import { describe, expect, it } from 'vitest';
import { exitOf, runScript } from './process.js';

// Each service's main.ts: configuration from the environment, graceful shutdown on SIGTERM.
describe.each([
  ['auth-service', 'examples/auth-service/main.ts'],
  ['notifications-service', 'examples/notifications-service/main.ts'],
  ['product-service', 'examples/product-service/main.ts'],
])('%s main.ts', (name, script) => {
  it('listens on PORT, answers /health, and exits 0 on SIGTERM', async () => {
    const service = runScript(script, [], {
      PORT: '0',
      SWITCHBOARD_SERVICE_AUTH_URL: 'http://127.0.0.1:9/api/v1',
    });
    const [, url] = await service.waitFor(/"msg":"[\w-]+ listening","url":"(http:\/\/[^"]+)"/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    service.process.kill('SIGTERM');
    expect(await exitOf(service, 15_000)).toBe(0);
    expect(service.output()).toContain(`"msg":"${name} stopped"`);
  }, 45_000);
});
