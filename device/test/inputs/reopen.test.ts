import { describe, expect, it } from 'vitest';
import { Reopener } from '../../src/inputs/reopen.js';
import type { Clock } from '../../src/time/clock.js';

function fakeClock(): Clock & { waits: number[]; pending: Map<number, () => void>; fire(): void } {
  let n = 0;
  const pending = new Map<number, () => void>();
  const waits: number[] = [];
  return {
    waits, pending,
    now: () => 0,
    mono: () => 0,
    setTimeout: (fn, ms) => { waits.push(ms); pending.set(++n, fn); return n; },
    clearTimeout: (h) => { pending.delete(h as number); },
    fire() { const first = [...pending][0]; if (!first) throw new Error("nothing pending"); pending.delete(first[0]); first[1](); },
  };
}

describe('Reopener', () => {
  it('waits longer after each failure, one attempt pending at a time, and starts over once open', () => {
    const clock = fakeClock();
    const r = new Reopener({ clock, random: () => 0.999, minMs: 100, maxMs: 1000 });
    let opens = 0;
    for (let i = 0; i < 6; i++) {
      r.schedule(() => opens++);
      expect(clock.pending.size).toBe(1);
      clock.fire();
    }
    expect(opens).toBe(6);
    expect(clock.waits[1]!).toBeGreaterThan(clock.waits[0]!);
    expect(Math.max(...clock.waits)).toBeLessThanOrEqual(1000);
    r.opened();
    r.schedule(() => opens++);
    expect(clock.waits.at(-1)).toBe(clock.waits[0]);
    r.schedule(() => opens++);
    expect(clock.pending.size).toBe(1);
    r.cancel();
    expect(clock.pending.size).toBe(0);
  });
});
