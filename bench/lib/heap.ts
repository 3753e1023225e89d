import { getHeapSpaceStatistics } from 'node:v8';

/**
 * Bytes in use in V8's old generation. Its growth over a round (which starts
 * on a collected heap, see `alternate`) is what the round's objects were
 * promoted to, or allocated in: garbage that outlives two young-generation
 * collections costs a copy each time and a full collection later (ADR 0025).
 */
export function oldGenerationBytes(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'old_space') used += space.space_used_size;
  }
  return used;
}
