import { describe, expect, it } from 'vitest';
import { ServiceClient, ServiceRegistry, type Logger } from 'switchboard';

describe("ServiceClient: a refused path's credentials stay out of the error event and log", () => {
  it('drops the user and password of an absolute URL given as a path', async () => {
    const lines: string[] = [];
    const log = (context: Record<string, unknown>): void => {
      lines.push(JSON.stringify(context));
    };
    const logger: Logger = { debug: log, info: log, warn: log, error: log };
    const registry = ServiceRegistry.fromConfig({ api: 'http://127.0.0.1:1' }, { health: false });
    const client = new ServiceClient('api', { registry, logger });
    const events: string[] = [];
    client.on('error', ({ path }) => events.push(path));
    await client.get('http://user:CANARY-pw@127.0.0.1:1/x').catch(() => undefined);
    await client.close();
    await registry.close();
    expect(events).toEqual(['http://***@127.0.0.1:1/x']);
    expect(lines.join('\n')).not.toContain('CANARY');
  });
});
