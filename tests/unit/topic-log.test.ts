import { describe, expect, it } from 'vitest';
import { TopicLog } from '../../src/events/memory/topic-log.js';

describe('TopicLog', () => {
  it('keeps ids contiguous and finds every held entry by seq, across many trims and compactions', () => {
    const log = new TopicLog('orders');
    const maxLen = 100;
    // Trimmed after every append, as the memory transport does: far past the
    // point where the dropped slots are compacted away (1,024).
    for (let i = 1; i <= 5_000; i++) {
      expect(log.append(`m-${i}`).id).toBe(String(i));
      log.trim(maxLen, Infinity);
      expect(log.length).toBe(Math.min(i, maxLen));
      expect(log.firstSeq).toBe(Math.max(1, i - maxLen + 1));
    }
    expect(log.lastSeq).toBe(5_000);
    for (let seq = 4_901; seq <= 5_000; seq++) expect(log.at(seq)?.payload).toBe(`m-${seq}`);
    expect(log.at(4_900)).toBeUndefined();
    expect(log.at(1)).toBeUndefined();
    expect(log.at(5_001)).toBeUndefined();
  });

  it('never drops an entry at or after keepFrom, however long the log grows', () => {
    const log = new TopicLog('orders');
    for (let i = 1; i <= 3_000; i++) log.append(`m-${i}`);
    expect(log.trim(10, 2_500)).toBe(2_499);
    expect(log.firstSeq).toBe(2_500);
    expect(log.at(2_500)?.payload).toBe('m-2500');
    expect(log.trim(10, 2_500)).toBe(0);
    expect(log.trim(10, Infinity)).toBe(491);
    expect(log.length).toBe(10);
    expect(log.at(2_991)?.payload).toBe('m-2991');
  });

  it('is empty at lastSeq + 1 when everything is dropped', () => {
    const log = new TopicLog('orders');
    log.append('a');
    log.append('b');
    expect(log.trim(0, Infinity)).toBe(2);
    expect(log.length).toBe(0);
    expect(log.firstSeq).toBe(3);
    expect(log.at(2)).toBeUndefined();
    expect(log.append('c').seq).toBe(3);
    expect(log.at(3)?.payload).toBe('c');
  });
});
