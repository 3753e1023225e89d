// `npm run demo`: the three example services in this process on loopback,
// events over the in-memory transport, and a scripted scenario printed as a
// timeline. Exits 0 when every step did what it should.
import { once } from 'node:events';
import { parseArgs, type DemoArgs } from './demo/args.js';
import { runScenario } from './demo/scenario.js';
import { DEMO_BREAKER, startStack, type Stack } from './demo/stack.js';
import { Timeline } from './demo/timeline.js';

const write = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

let args: DemoArgs;
try {
  args = parseArgs(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
if (args.redis) {
  process.stderr.write(
    'The Redis mode (separate processes over Redis Streams) needs the Redis Streams transport, which is not in switchboard yet.\n',
  );
  process.exit(2);
}

const started = performance.now();
let stack: Stack;
try {
  stack = await startStack({ portBase: args.portBase });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`demo: could not start the services: ${message}\n`);
  if (args.portBase !== 0) process.stderr.write('Try free ports: npm run demo -- --port-base 0\n');
  process.exit(1);
}

const services = {
  auth: stack.auth().url,
  notifications: stack.notifications.url,
  product: stack.product.url,
};
const timeline = new Timeline(services, write);
write('switchboard demo: three services in one process, events over the in-memory transport');
write('');
for (const [name, url] of Object.entries(services))
  write(`   ${name.padEnd(14)} ${url}   (docs: ${url}/docs)`);
write(
  `   breakers open after ${DEMO_BREAKER.failureThreshold} failures in a row and probe again after ${DEMO_BREAKER.resetTimeoutMs} ms`,
);

let failed = false;
try {
  await runScenario(stack, timeline);
  write('');
  write(
    `Done in ${((performance.now() - started) / 1_000).toFixed(1)} s: every step answered as expected.`,
  );
} catch (error) {
  failed = true;
  write('');
  write(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
}

if (args.keep && !failed) {
  printTryIt(stack, services);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  write('stopping…');
}
await stack.close();
process.exitCode = failed ? 1 : 0;

function printTryIt(running: Stack, urls: typeof services): void {
  const auth = running.auth().baseUrl;
  write('');
  write('The services keep running. Try them (Ctrl-C stops them):');
  write('');
  write(`   open ${urls.auth}/docs  ${urls.product}/docs  ${urls.notifications}/docs`);
  write('');
  write(`   TOKEN=$(curl -s -X POST ${auth}/auth/login -H 'content-type: application/json' \\`);
  write(
    `     -d '{"email":"ada@example.com","password":"ada-password"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')`,
  );
  write(`   curl -s ${urls.product}/products/1 -H "authorization: Bearer $TOKEN"`);
  write(
    `   curl -s -X PATCH ${urls.product}/products/1/stock -H "authorization: Bearer $TOKEN" \\`,
  );
  write(
    `     -H 'content-type: application/json' -H 'x-correlation-id: try-1' -d '{"quantity":3}'`,
  );
  write(`   curl -s '${urls.notifications}/notifications?correlationId=try-1'`);
  write(`   curl -s ${urls.product}/ready`);
  write('');
  write(`   admin: ${running.admin.email} / ${running.admin.password}`);
}
