/** The demo's command line: `--keep`, `--port-base N` (or `DEMO_PORT_BASE`), `--redis` (or `REDIS_URL`). */
export type DemoArgs = {
  readonly keep: boolean;
  readonly portBase: number;
  readonly redis: boolean;
};

export const USAGE = `usage: npm run demo -- [--redis] [--keep] [--port-base N]
  --redis        the services as separate processes, events over Redis Streams
                 (REDIS_URL, or a private redis-server started for the run);
                 the notifications service is killed and catches up after a restart
  --keep         leave the services running afterwards (try them with curl and /docs)
  --port-base N  auth on N+1, notifications on N+2, product on N+3 (default 8000);
                 0 picks free ports`;

export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): DemoArgs {
  let keep = false;
  // REDIS_URL alone selects the Redis mode: the services would use it anyway.
  let redis = env['REDIS_URL'] !== undefined && env['REDIS_URL'] !== '';
  let base = env['DEMO_PORT_BASE'] ?? '8000';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--keep') keep = true;
    else if (arg === '--redis') redis = true;
    else if (arg === '--port-base') base = argv[(i += 1)] ?? '';
    else if (arg?.startsWith('--port-base=') === true) base = arg.slice('--port-base='.length);
    else throw new RangeError(`unknown argument ${String(arg)}\n${USAGE}`);
  }
  const portBase = Number(base);
  if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65_532) {
    throw new RangeError(`--port-base must be an integer from 0 to 65532, got "${base}"\n${USAGE}`);
  }
  return { keep, portBase, redis };
}
