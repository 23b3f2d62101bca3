/** Time is injected everywhere (style guide): production passes systemClock, tests a fake. */
export interface Clock {
  /** Unix milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Randomness is injected too; production uses node:crypto. */
export type RandomBytes = (n: number) => Buffer;
