/**
 * Seeded randomness for the simulators. Every simulator takes a `Random` (a function returning a
 * float in [0, 1)) so a run can be replayed from its seed, and tests can pin every choice.
 */
export type Random = () => number;

/** mulberry32: small, fast, good enough for simulation (not for secrets). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [min, max], both inclusive. */
export function randInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty list');
  return items[Math.floor(random() * items.length)] as T;
}

/** True with probability p. */
export function chance(random: Random, p: number): boolean {
  return p > 0 && random() < p;
}
