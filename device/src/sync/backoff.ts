/** Exponential backoff with jitter: attempt 0 waits about `min`, doubling up to `max`; the wait is
 * drawn from [base/2, base] so a hall of devices does not reconnect in lockstep after a hub restart. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** A float in [0, 1) from a byte source, so randomness stays injectable. */
export function unitRandom(fill: (b: Uint8Array) => Uint8Array): () => number {
  return () => {
    const b = fill(new Uint8Array(4));
    return (((b[0] ?? 0) << 24) >>> 0 | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) / 2 ** 32;
  };
}
