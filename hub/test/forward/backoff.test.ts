import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/forward/backoff.js';

describe('backoffDelay', () => {
  const b = { baseMs: 1000, maxMs: 60_000 };
  it('doubles per attempt within [e/2, e)', () => {
    expect(backoffDelay(1, b, () => 0)).toBe(500);
    expect(backoffDelay(1, b, () => 0.999999)).toBeLessThan(1000);
    expect(backoffDelay(3, b, () => 0)).toBe(2000);
    expect(backoffDelay(4, b, () => 0.5)).toBe(6000);
  });
  it('is capped at maxMs and survives huge attempt numbers', () => {
    expect(backoffDelay(50, b, () => 0)).toBe(30_000);
    expect(backoffDelay(10_000, b, () => 0.999)).toBeLessThan(60_000);
  });
  it('spreads with the injected random', () => {
    const seen = new Set([0.1, 0.3, 0.7].map((r) => backoffDelay(5, b, () => r)));
    expect(seen.size).toBe(3);
  });
  it('clamps a bad random into range', () => {
    expect(backoffDelay(2, b, () => -1)).toBe(1000);
    expect(backoffDelay(2, b, () => 2)).toBeLessThan(2000);
  });
});
