// `npm run demo`: the three example services on loopback and a scripted
// scenario printed as a timeline. By default they run in this process with
// events over the in-memory transport; with `--redis` (or REDIS_URL) as
// separate processes over Redis Streams, where the notifications service is
// killed and catches up. Exits 0 when every step did what it should, and
// stops whatever it started however it ends (Ctrl-C included).
import { parseArgs, type DemoArgs } from './demo/args.js';
import { RedisMissingError, demoRedis } from './demo/demo-redis.js';
import type { DemoStack } from './demo/demo-stack.js';
import { startProcessStack } from './demo/process-stack.js';
import { runScenario } from './demo/scenario.js';
import { startStack } from './demo/stack.js';
import { Timeline } from './demo/timeline.js';

const write = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
// Once interrupted, a request still in flight does not print into the shutdown messages.
let stopping = false;
const timelineWrite = (line: string): void => {
  if (!stopping) write(line);
};

let args: DemoArgs;
try {
  args = parseArgs(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

class Interrupted extends Error {}
class StartFailed extends Error {}

// Ctrl-C (or SIGTERM) stops the scenario and then everything it started; a
// second one exits at once, and the exit hooks SIGKILL what is left.
const interrupted = new Promise<NodeJS.Signals>((resolve) => {
  const on = (signal: NodeJS.Signals): void => {
    stopping = true;
    resolve(signal);
    process.once(signal, () => process.exit(130));
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
});
const raced = <T>(work: Promise<T>): Promise<T> =>
  Promise.race([
    work,
    interrupted.then((signal) => {
      throw new Interrupted(signal);
    }),
  ]);

/** What to close at the end, last opened first. */
const closers: (() => Promise<void>)[] = [];

async function start(options: DemoArgs): Promise<DemoStack> {
  try {
    if (!options.redis) {
      const stack = await startStack({ portBase: options.portBase });
      closers.push(() => stack.close());
      return stack;
    }
    const redis = await demoRedis(process.env);
    closers.push(() => redis.close());
    write('starting the three services as separate processes (tsx compiles each: a few seconds)…');
    const stack = await startProcessStack({ redis, portBase: options.portBase });
    closers.push(() => stack.close());
    return stack;
  } catch (error) {
    if (error instanceof RedisMissingError) throw error;
    throw new StartFailed(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

async function main(options: DemoArgs): Promise<number> {
  const started = performance.now();
  try {
    const stack = await raced(start(options));
    const { urls } = stack;
    const services = { auth: urls.auth, notifications: urls.notifications, product: urls.product };
    const timeline = new Timeline(services, timelineWrite);
    write(`switchboard demo: ${stack.title}`);
    write('');
    for (const [name, url] of Object.entries(services)) {
      write(`   ${name.padEnd(14)} ${url}   (docs: ${url}/docs)`);
    }
    for (const line of stack.details) write(`   ${line}`);
    write(
      `   breakers open after ${stack.breaker.failureThreshold} failures in a row and probe again after ${stack.breaker.resetTimeoutMs} ms`,
    );
    await raced(runScenario(stack, timeline));
    timeline.line('');
    write(
      `Done in ${((performance.now() - started) / 1_000).toFixed(1)} s: every step answered as expected.`,
    );
    if (options.keep) {
      printTryIt(stack);
      await interrupted;
      write('stopping…');
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Interrupted) {
      write('');
      write(`${message}: stopping everything the demo started`);
      return 130;
    }
    if (error instanceof RedisMissingError) {
      process.stderr.write(`${message}\n`);
      return 2;
    }
    if (error instanceof StartFailed) {
      process.stderr.write(`demo: could not start the services: ${message}\n`);
      if (options.portBase !== 0) {
        process.stderr.write('Try free ports: npm run demo -- --port-base 0\n');
      }
      return 1;
    }
    write('');
    write(`demo failed: ${message}`);
    return 1;
  } finally {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => {
        process.stderr.write(`demo: while stopping: ${String(error)}\n`);
      });
    }
  }
}

function printTryIt(stack: DemoStack): void {
  const { urls } = stack;
  write('');
  write('The services keep running. Try them (Ctrl-C stops them):');
  write('');
  write(`   open ${urls.auth}/docs  ${urls.product}/docs  ${urls.notifications}/docs`);
  write('');
  write(
    `   TOKEN=$(curl -s -X POST ${urls.authApi}/auth/login -H 'content-type: application/json' \\`,
  );
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
  write(`   admin: ${stack.admin.email} / ${stack.admin.password}`);
}

// Exits explicitly: nothing the demo opened may keep it alive, and the exit
// hooks SIGKILL any service process still running after an interrupted start.
process.exit(await main(args));
