import { describe, expect, it } from 'vitest';
import { DeviceTime, MAX_SYNC_ROUND_TRIP_MS, systemRandom, type Clock } from '../../src/time/clock.js';

/** A clock whose wall and monotonic time the test moves. */
function fakeClock(wall: number, mono: number): Clock & { advance(ms: number): void } {
  return {
    now: () => wall,
    mono: () => mono,
    advance(ms) {
      wall += ms;
      mono += ms;
    },
    setTimeout: () => null,
    clearTimeout: () => undefined,
  };
}

describe('DeviceTime.syncFromHub', () => {
  it('adopts the hub time plus half the round trip of the status it answers', () => {
    const c = fakeClock(1_000_000, 50_000);
    const t = new DeviceTime(c, 'boot-1', false);
    const status = { bootId: 'boot-1', monoMs: c.mono() };
    c.advance(40); // status → hub → time.sync back: 40 ms; the hub read its clock half way
    const hubNow = 5_000_000 + 20;
    expect(t.syncFromHub(hubNow, status)).toEqual({ kind: 'adopted', offsetMs: 5_000_040 - 1_000_040, roundTripMs: 40 });
    expect(t.now()).toBe(5_000_040);
    expect(t.info()).toMatchObject({ trusted: true, source: 'hub' });
  });

  it('refuses a sync that waited in a queue, answers another boot, or arrives before it was asked', () => {
    const c = fakeClock(1_000_000, 50_000);
    const t = new DeviceTime(c, 'boot-1', true);
    const status = { bootId: 'boot-1', monoMs: c.mono() };
    const hubNow = c.now();
    c.advance(MAX_SYNC_ROUND_TRIP_MS + 1); // e.g. held by a broker through its restart
    expect(t.syncFromHub(hubNow, status)).toEqual({ kind: 'stale', roundTripMs: MAX_SYNC_ROUND_TRIP_MS + 1 });
    expect(t.now()).toBe(c.now()); // the clock was not set back
    expect(t.syncFromHub(c.now(), { bootId: 'boot-0', monoMs: c.mono() }).kind).toBe('stale');
    expect(t.syncFromHub(c.now(), { bootId: 'boot-1', monoMs: c.mono() + 5 }).kind).toBe('stale');
    expect(t.syncFromHub(c.now() + 7, { bootId: 'boot-1', monoMs: c.mono() - MAX_SYNC_ROUND_TRIP_MS })).toMatchObject({ kind: 'adopted', roundTripMs: MAX_SYNC_ROUND_TRIP_MS });
  });

  it('without an echo (an older hub), only a clock with nothing better adopts it', () => {
    const c = fakeClock(1_000_000, 50_000);
    const ntp = new DeviceTime(c, 'boot-1', true);
    expect(ntp.syncFromHub(9_000_000)).toEqual({ kind: 'stale', roundTripMs: null });
    expect(ntp.now()).toBe(1_000_000);
    const none = new DeviceTime(c, 'boot-1', false);
    expect(none.syncFromHub(9_000_000)).toEqual({ kind: 'adopted', offsetMs: 8_000_000, roundTripMs: null });
  });
});

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
