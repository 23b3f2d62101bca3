import { describe, expect, it } from 'vitest';
import { systemRandom } from '../../src/time/clock.js';

describe('systemRandom (pooled)', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 4 KiB pool / 16 bytes = 256 ids per refill: 2,000 draws cross several refills.
    for (let i = 0; i < 2000; i++) seen.add(Buffer.from(systemRandom(new Uint8Array(16))).toString('hex'));
    expect(seen.size).toBe(2000);
  });

  it('fills odd sizes and large requests completely, returning the array it was given', () => {
    for (const n of [1, 7, 255, 256, 257, 10_000]) {
      const b = new Uint8Array(n);
      expect(systemRandom(b)).toBe(b);
      // A run of 8 zero bytes in random data is a 2^-64 event: it would mean an unfilled tail.
      if (n >= 8) expect(Buffer.from(b.subarray(n - 8)).equals(Buffer.alloc(8))).toBe(false);
    }
  });
});
