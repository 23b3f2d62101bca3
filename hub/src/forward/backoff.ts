/**
 * Exponential backoff with "equal jitter": the delay for attempt k (1-based) lies in
 * [e/2, e) where e = min(maxMs, baseMs · 2^(k-1)). Half is kept so retries still spread out
 * after an outage without ever collapsing to zero (a thundering herd on the province's recovery).
 * `random` is injected: a function returning [0, 1).
 */
export interface BackoffBounds {
  readonly baseMs: number;
  readonly maxMs: number;
}

export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number): number {
  const k = Math.max(1, Math.floor(attempt));
  const e = Math.min(bounds.maxMs, bounds.baseMs * 2 ** Math.min(k - 1, 40));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(e / 2 + r * (e / 2));
}
