/**
 * Time, injected everywhere. `now()` is the wall clock (may be wrong on a Pi without RTC),
 * `mono()` is monotonic milliseconds since boot (CLOCK_MONOTONIC on Linux), which together with
 * the boot id lets the hub correct ratings given before the clock was trusted.
 */
import { readFileSync } from 'node:fs';
import { randomFillSync, randomUUID } from 'node:crypto';
import type { RandomFill } from '@hcp/protocol';

export interface Clock {
  now(): number;
  mono(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // process.hrtime uses CLOCK_MONOTONIC on Linux: ms since boot, unaffected by clock changes.
  mono: () => {
    const [s, ns] = process.hrtime();
    return s * 1000 + Math.floor(ns / 1e6);
  },
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * The OS's cryptographic randomness, served from a 4 KiB pool refilled in one call: each rating
 * id takes 16 bytes on the press → commit path, and one randomFillSync per id cost more than the
 * rest of the id (the same trick as Node's own randomUUID cache). Large requests go direct.
 */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;
export const systemRandom: RandomFill = (b) => {
  if (b.length > POOL_BYTES / 16) return randomFillSync(b);
  if (poolAt + b.length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    poolAt = 0;
  }
  b.set(pool.subarray(poolAt, poolAt + b.length));
  // Used bytes are wiped so the same randomness can never be handed out twice.
  pool.fill(0, poolAt, poolAt + b.length);
  poolAt += b.length;
  return b;
};

/** The kernel's boot id (changes every boot); a random id where the file is absent. */
export function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 64) || randomUUID();
  } catch {
    return randomUUID();
  }
}

/** Longest status → time.sync round trip whose time is adopted (half of it is the worst error). */
export const MAX_SYNC_ROUND_TRIP_MS = 2000;

export type SyncResult =
  | { readonly kind: 'adopted'; readonly offsetMs: number; readonly roundTripMs: number | null }
  | { readonly kind: 'stale'; readonly roundTripMs: number | null };

export type ClockTrust =
  | { readonly kind: 'untrusted' }
  | { readonly kind: 'trusted'; readonly source: 'ntp' | 'hub'; readonly offsetMs: number };

/** Wall time corrected by the hub's time.sync, and whether it can be trusted. */
export class DeviceTime {
  private trust: ClockTrust;

  constructor(
    private readonly clock: Clock,
    readonly bootId: string,
    trustSystemClock: boolean,
  ) {
    this.trust = trustSystemClock ? { kind: 'trusted', source: 'ntp', offsetMs: 0 } : { kind: 'untrusted' };
  }

  now(): number {
    return this.clock.now() + (this.trust.kind === 'trusted' ? this.trust.offsetMs : 0);
  }

  /**
   * The hub's time, answering the `online` status whose boot id and monotonic ms it echoes. Adopted
   * (as the hub's time plus half the round trip) only when the round trip is at most
   * MAX_SYNC_ROUND_TRIP_MS: a sync that waited in a broker's queue through an outage, or answers a
   * retained status of long ago, would set the clock back by the time it waited. Without an echo
   * (an older hub) it is adopted only by a clock that has nothing better.
   */
  syncFromHub(hubNowMs: number, echo?: { bootId: string; monoMs: number }): SyncResult {
    let roundTripMs: number | null = null;
    if (echo) {
      roundTripMs = this.clock.mono() - echo.monoMs;
      if (echo.bootId !== this.bootId || roundTripMs < 0 || roundTripMs > MAX_SYNC_ROUND_TRIP_MS) return { kind: 'stale', roundTripMs };
    } else if (this.trust.kind === 'trusted') {
      return { kind: 'stale', roundTripMs: null };
    }
    const offsetMs = Math.round(hubNowMs + (roundTripMs ?? 0) / 2 - this.clock.now());
    this.trust = { kind: 'trusted', source: 'hub', offsetMs };
    return { kind: 'adopted', offsetMs, roundTripMs };
  }

  info(): { trusted: boolean; source: 'ntp' | 'hub' | 'none'; bootId: string; monoMs: number } {
    return {
      trusted: this.trust.kind === 'trusted',
      source: this.trust.kind === 'trusted' ? this.trust.source : 'none',
      bootId: this.bootId,
      monoMs: Math.max(0, Math.floor(this.clock.mono())),
    };
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }
}
