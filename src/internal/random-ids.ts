import { randomFillSync } from 'node:crypto';

// Random ids are made for every event (its id and its traceparent) and every
// call (its span, often its correlation id): the entropy comes from one pool
// filled 4 KiB at a time, as node's own randomUUID() caches it. One
// randomBytes() call per id cost more than the rest of publishing an event.
const POOL = Buffer.allocUnsafe(4096);
let used = POOL.length;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Writes `byte` as two lowercase hex digits into `text` at `at`. */
function writeHexByte(text: Buffer, at: number, byte: number): void {
  text[at] = HEX[byte >> 4] as number;
  text[at + 1] = HEX[byte & 0x0f] as number;
}

/** Where `bytes` fresh random bytes start in {@link POOL}; read them before the next draw. */
function draw(bytes: number): number {
  if (used + bytes > POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const start = used;
  used += bytes;
  return start;
}

/**
 * Writes `bytes` random bytes (at most 4096) as lowercase hex into `text`
 * from offset `at`. Returns false when every byte was zero, which W3C trace
 * and span ids must not be.
 */
export function writeRandomHex(text: Buffer, at: number, bytes: number): boolean {
  const start = draw(bytes);
  let any = 0;
  for (let i = 0; i < bytes; i++) {
    const byte = POOL[start + i] as number;
    any |= byte;
    writeHexByte(text, at + 2 * i, byte);
  }
  return any !== 0;
}

// A UUID's text is written into one buffer and read out as one flat string:
// randomUUID() joins 20 pieces, about 1 KB of garbage per event on the way.
const TEXT = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');
/** Where each of the 16 bytes goes in the text. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34] as const;

/**
 * A random (version 4) UUID in lowercase, like `crypto.randomUUID()`, from
 * the same cryptographic source.
 */
export function randomUuid(): string {
  const start = draw(16);
  for (let i = 0; i < 16; i++) {
    let byte = POOL[start + i] as number;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    writeHexByte(TEXT, AT[i] as number, byte);
  }
  return TEXT.toString('latin1');
}
