import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { freePort, freePorts } from 'switchboard/testing';

it('finds distinct loopback ports below the ephemeral range that a server can bind', async () => {
  const ports = await freePorts(5);
  expect(new Set(ports).size).toBe(5);
  for (const port of [...ports, await freePort()]) {
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(32_768);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  }
});
