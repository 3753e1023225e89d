import { PAYLOAD_FIELD } from './keys.js';
import type { Command } from './redis-link.js';

/**
 * KEYS: the streams. ARGV: MAXLEN ('' for none), then runs of consecutive
 * messages for one stream: the stream's index in KEYS, how many messages,
 * and their payloads. Returns the new entry ids in the order given, joined by
 * spaces: one reply to decode instead of one per message (ioredis decodes each
 * element of an array reply on its own, which cost a batch more than the
 * split).
 *
 * `redis.call` stops the script at the first failure, and every XADD of a
 * stream shares what can fail (the key's type, memory, the MAXLEN argument),
 * so a batch fails at its first command, before anything is written.
 */
const PUBLISH_BATCH = `
local call, maxlen, argc = redis.call, ARGV[1], #ARGV
local ids, n, i = {}, 0, 2
while i <= argc do
  local key = KEYS[tonumber(ARGV[i])]
  local last = i + 1 + tonumber(ARGV[i + 1])
  if maxlen == '' then
    for j = i + 2, last do
      n = n + 1
      ids[n] = call('XADD', key, '*', '${PAYLOAD_FIELD}', ARGV[j])
    end
  else
    for j = i + 2, last do
      n = n + 1
      ids[n] = call('XADD', key, 'MAXLEN', '~', maxlen, '*', '${PAYLOAD_FIELD}', ARGV[j])
    end
  end
  i = last + 1
end
return table.concat(ids, ' ')
`;

/**
 * One command that appends a batch of messages, atomically, in order: a
 * script rather than a `MULTI` of `XADD`s, because ioredis's per-command
 * work (a command object, its promise, its reply) was most of a batch's CPU.
 * The trade (ADR 0022): the publishing process spends about a third of the
 * CPU per event, Redis about 40 % more (a call from Lua costs more than a
 * command). Sent as `EVAL`, never `EVALSHA`: after a restart an `EVALSHA`
 * fails with `NOSCRIPT`, and its retry would land behind publishes sent
 * after it. Redis caches the compiled script by its digest.
 *
 * @param messages - the stream key and payload of each message, in order;
 *   on a cluster all keys must share a slot (the caller sends one batch per topic).
 */
export function publishBatch(
  messages: readonly { readonly key: string; readonly payload: string }[],
  maxLen: number | undefined,
): Command {
  const keys: string[] = [];
  const args: (string | number)[] = [maxLen ?? ''];
  let runStart = -1;
  let previous: string | undefined;
  for (const { key, payload } of messages) {
    if (key !== previous) {
      let index = keys.indexOf(key);
      if (index === -1) index = keys.push(key) - 1;
      args.push(index + 1, 0);
      runStart = args.length - 1;
      previous = key;
    }
    args.push(payload);
    args[runStart] = (args[runStart] as number) + 1;
  }
  return ['EVAL', PUBLISH_BATCH, keys.length, ...keys, ...args];
}
