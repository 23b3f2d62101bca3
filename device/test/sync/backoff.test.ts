import { describe, expect, it } from 'vitest';
import { backoffMs, unitRandom } from '../../src/sync/backoff.js';

describe('backoff', () => {
  it('doubles up to the cap, with jitter in [base/2, base]', () => {
    expect(backoffMs(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffMs(0, 100, 10_000, () => 0.999999)).toBe(100);
    expect(backoffMs(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffMs(50, 100, 10_000, () => 0)).toBe(5000);
  });
  it('unitRandom maps bytes to [0, 1)', () => {
    expect(unitRandom((b) => b.fill(0))()).toBe(0);
    expect(unitRandom((b) => b.fill(255))()).toBeLessThan(1);
  });
});
