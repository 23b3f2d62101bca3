/**
 * Misuse rules against a real SQLite database (all migrations), with ratings stored through the
 * real Ingest.storeLocal path so the hook runs inside the storing transaction as in the hub.
 * Times are China time (UTC+8); the calendar is the bundled one (2026: 国庆 10-01..07 off, 10-10 a
 * 调休 working Saturday).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { isHcpError, uuidv7, type Rating } from '@hcp/protocol';
import { migrate, openDb, type Db } from '../../src/db/db.js';
import { Metrics } from '../../src/metrics.js';
import { AuditLog } from '../../src/audit.js';
import { EventBus } from '../../src/events/bus.js';
import { Ingest } from '../../src/inbox/ingest.js';
import { ClockCorrector } from '../../src/inbox/clock-correction.js';
import type { DeviceKeys } from '../../src/inbox/device-keys.js';
import { WorkingCalendar } from '../../src/forward/calendar.js';
import { MisuseFlags, burstMembers, type MisuseOptions } from '../../src/misuse/misuse.js';
import { FakeClock } from '../helpers/hub.js';

const DEFAULTS: MisuseOptions = {
  topBurstCount: 5, topBurstWithinS: 60, fastAfterOpenS: 2, staffKeyBurstCount: 3, staffKeyBurstWithinS: 120,
  openingHours: { open: '08:30', close: '17:30', days: 'working-days', graceMin: 30 },
};
/** An instant from a China wall-clock time. */
const cn = (s: string): number => Date.parse(`${s}+08:00`);
const log = pino({ level: 'silent' });

let seq = 0;
function rating(over: Partial<Rating> & { at: number }): Rating {
  const { at, ...rest } = over;
  return {
    v: 1, id: uuidv7(at, (b) => randomBytes(b.length)), hallId: 'hall-1', deviceId: 'dev-0001', windowId: 'w-01', sessionId: null,
    caseNumbers: [`C-${++seq}`], staffId: 'staff-007', itemCode: 'X-1', level: 5, indicators: [], indicatorVersion: null, channel: 5,
    assessNumber: 1, origin: 'session', flags: [], givenAt: new Date(at).toISOString(),
    clock: { trusted: true, source: 'ntp', bootId: 'boot-a', monoMs: 1000 + seq }, seq, sig: 'A'.repeat(43), ...rest,
  };
}

describe('misuse rules (real SQLite)', () => {
  let dir: string;
  let db: Db;
  let clock: FakeClock;
  let metrics: Metrics;
  let audit: AuditLog;
  let ingest: Ingest;
  let flags: MisuseFlags;

  const setup = async (opts: MisuseOptions = DEFAULTS) => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-misuse-'));
    db = openDb(join(dir, 'hub.db'));
    await migrate(db);
    clock = new FakeClock(cn('2026-11-18T10:00:00'));
    metrics = new Metrics();
    audit = new AuditLog(db, clock);
    flags = new MisuseFlags({ db, clock, log, metrics, audit, bus: new EventBus(log), calendar: WorkingCalendar.china() }, opts);
    // only the store path of Ingest is used: no device keys, broker link or clock learning needed
    ingest = new Ingest({} as DeviceKeys, new ClockCorrector(db), { publish: async () => undefined }, log, metrics);
    ingest.onStored(flags.hook);
  };
  /** Stores as the hub does (after-commit work runs once committed), then lets the rules judge what is queued. */
  const store = (r: Rating): void => {
    const after: (() => unknown)[] = [];
    db.transaction(() => {
      expect(ingest.storeLocal(db, r, clock.now(), (fn) => after.push(fn))).toBe('stored');
    })();
    for (const fn of after) fn();
    flags.drain();
  };
  const flagged = (rule?: string): { rule: string; rating_id: string }[] =>
    db.prepare('SELECT rule, rating_id FROM misuse_flags WHERE (? IS NULL OR rule = ?) ORDER BY id').all(rule ?? null, rule ?? null) as { rule: string; rating_id: string }[];

  beforeEach(async () => setup());
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('burstMembers: every rating of a group of ≥ count within the span, and only groups containing the new one', () => {
    const m = (...s: number[]) => s.map((x) => ({ atMs: x * 1000 }));
    expect(burstMembers(m(0, 20, 40, 60, 80), 80_000, 5, 60_000)).toHaveLength(0);
    expect(burstMembers(m(0, 10, 20, 30, 40), 40_000, 5, 60_000)).toHaveLength(5);
    expect(burstMembers(m(0, 10, 20, 30, 40, 55, 200), 55_000, 5, 60_000)).toHaveLength(6);
    expect(burstMembers(m(0, 10, 20, 30, 40, 200), 200_000, 5, 60_000)).toHaveLength(0);
  });

  it('top-burst: the 5th 非常满意 within 60 s at one window flags all five; spread out or elsewhere or lower levels are not flagged', async () => {
    const t0 = cn('2026-11-18T10:00:00');
    // 5 ratings 20 s apart span 80 s: no 60 s window holds 5
    for (let i = 0; i < 5; i++) store(rating({ at: t0 + i * 20_000 }));
    expect(flagged('top-burst')).toHaveLength(0);
    const t1 = cn('2026-11-18T11:00:00');
    const burst = [0, 10, 20, 30].map((s) => rating({ at: t1 + s * 1000 }));
    for (const r of burst) store(r);
    store(rating({ at: t1 + 15_000, windowId: 'w-02' })); // another window
    store(rating({ at: t1 + 16_000, level: 4 })); // not top
    store(rating({ at: t1 + 17_000, assessNumber: 2, origin: 'mobile', channel: 3 })); // a follow-up
    expect(flagged('top-burst')).toHaveLength(0);
    const fifth = rating({ at: t1 + 40_000 });
    store(fifth);
    expect(flagged('top-burst').map((f) => f.rating_id).sort()).toEqual([...burst, fifth].map((r) => r.id).sort());
    const sixth = rating({ at: t1 + 55_000 });
    store(sixth);
    expect(flagged('top-burst')).toHaveLength(6);
    const row = db.prepare("SELECT detail, window_id, staff_id, level FROM misuse_flags WHERE rule = 'top-burst' AND rating_id = ?").get(sixth.id) as { detail: string; window_id: string; staff_id: string; level: number };
    expect(row).toMatchObject({ window_id: 'w-01', staff_id: 'staff-007', level: 5 });
    expect(JSON.parse(row.detail)).toMatchObject({ threshold: 5, withinS: 60 });
    expect(metrics.value('hcp_hub_misuse_flags_total', { rule: 'top-burst' })).toBe(6);
  });

  it('top-burst counts by the rating time, not arrival: a backlog drained late is judged as given', async () => {
    const t = cn('2026-11-18T14:00:00');
    clock.t = t + 3 * 3_600_000; // arriving hours later
    for (let i = 0; i < 5; i++) store(rating({ at: t + i * 5000, clock: { trusted: true, source: 'ntp', bootId: 'boot-b', monoMs: i } }));
    expect(flagged('top-burst')).toHaveLength(5);
  });

  it('off-hours: before opening and after closing beyond the grace, weekends and holidays; 调休 working Saturdays and phone ratings are fine', async () => {
    const cases: [string, boolean, Partial<Rating>?][] = [
      ['2026-11-18T07:30:00', true],
      ['2026-11-18T08:10:00', false], // inside the 30 min grace
      ['2026-11-18T12:00:00', false],
      ['2026-11-18T18:00:00', false],
      ['2026-11-18T18:10:00', true],
      ['2026-11-21T10:00:00', true], // Saturday
      ['2026-10-01T10:00:00', true], // 国庆 holiday, a Thursday
      ['2026-10-10T10:00:00', false], // 调休 working Saturday
      ['2026-11-18T23:00:00', false, { origin: 'mobile', channel: 3 }], // phone ratings are made later by design
    ];
    for (const [at, expected, over] of cases) {
      const r = rating({ at: cn(at), level: 4, ...over });
      store(r);
      expect(flagged('off-hours').some((f) => f.rating_id === r.id), at).toBe(expected);
    }
    const detail = JSON.parse((db.prepare("SELECT detail FROM misuse_flags WHERE rule = 'off-hours' ORDER BY id LIMIT 1").get() as { detail: string }).detail) as Record<string, unknown>;
    expect(detail).toMatchObject({ reason: 'before-open', localTime: '2026-11-18 07:30', hours: '08:30-17:30' });
  });

  it('off-hours with days every-day: a Saturday inside the hours is fine', async () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    await setup({ ...DEFAULTS, openingHours: { ...DEFAULTS.openingHours, days: 'every-day' } });
    store(rating({ at: cn('2026-11-21T10:00:00'), level: 4 }));
    store(rating({ at: cn('2026-11-21T20:00:00'), level: 4 }));
    expect(flagged('off-hours')).toHaveLength(1);
  });

  it('walk-up ratings are flagged; session ratings are not', () => {
    const w = rating({ at: cn('2026-11-18T10:00:00'), origin: 'walk-up', flags: ['walk-up'], level: 3 });
    store(w);
    store(rating({ at: cn('2026-11-18T10:05:00'), level: 3 }));
    expect(flagged('walk-up')).toEqual([{ rule: 'walk-up', rating_id: w.id }]);
  });

  it('fast-after-open: a session rating sooner than 2 s after the session opened', () => {
    const open = cn('2026-11-18T10:00:00');
    for (const id of ['s-fast', 's-normal']) {
      db.prepare(`INSERT INTO sessions (id, window_id, device_id, case_numbers, item_code, item_name, staff_id, outcome, opened_at, expires_at, opened_by)
        VALUES (?, 'w-01', 'dev-0001', '[]', 'X', 'X', 'staff-007', 'pending', ?, ?, 'test')`).run(id, new Date(open).toISOString(), new Date(open + 600_000).toISOString());
    }
    const fast = rating({ at: open + 800, sessionId: 's-fast', level: 4 });
    const normal = rating({ at: open + 9000, sessionId: 's-normal', level: 4 });
    store(fast);
    store(normal);
    store(rating({ at: open + 500, origin: 'staff-key', level: 4 })); // no session to compare with
    expect(flagged('fast-after-open').map((f) => f.rating_id)).toEqual([fast.id]);
    const d = JSON.parse((db.prepare("SELECT detail FROM misuse_flags WHERE rule = 'fast-after-open'").get() as { detail: string }).detail) as Record<string, unknown>;
    expect(d).toMatchObject({ secondsAfterOpen: 0.8, thresholdS: 2 });
  });

  it('staff-key-burst: 3 staff-started ratings at one device within 120 s', () => {
    const t = cn('2026-11-18T15:00:00');
    const a = rating({ at: t, origin: 'staff-key', level: 4 });
    const b = rating({ at: t + 50_000, origin: 'staff-key', level: 3 });
    store(a);
    store(b);
    store(rating({ at: t + 60_000, origin: 'staff-key', level: 4, deviceId: 'dev-0002', windowId: 'w-02' }));
    expect(flagged('staff-key-burst')).toHaveLength(0);
    const c = rating({ at: t + 100_000, origin: 'staff-key', level: 5 });
    store(c);
    expect(flagged('staff-key-burst').map((f) => f.rating_id).sort()).toEqual([a.id, b.id, c.id].sort());
  });

  it('a long burst costs each rating a bounded amount of work: 2,000 same-second 非常满意 all flagged, each earlier member read at most once', () => {
    const t = cn('2026-11-18T11:30:00');
    const spy = vi.spyOn(flags, 'facts');
    const all = Array.from({ length: 2000 }, () => rating({ at: t }));
    // arrival out of time order too: a device's backlog and a second device interleave
    for (const r of all) store(r);
    const late = Array.from({ length: 50 }, (_, i) => rating({ at: t - 30_000 + i * 10 }));
    for (const r of late) store(r);
    expect(flagged('top-burst')).toHaveLength(all.length + late.length);
    // only members not yet flagged are read back: at most the first count−1 of the burst, each once
    expect(spy.mock.calls.length).toBeLessThanOrEqual(DEFAULTS.topBurstCount - 1);
    spy.mockRestore();
  });

  it('a burst completed by a rating arriving in the middle flags the neighbours on both sides', () => {
    const t = cn('2026-11-18T11:40:00');
    const early = [0, 5].map((s) => rating({ at: t + s * 1000 }));
    const lateOnes = [50, 55].map((s) => rating({ at: t + s * 1000 }));
    for (const r of [...early, ...lateOnes]) store(r);
    expect(flagged('top-burst')).toHaveLength(0);
    const middle = rating({ at: t + 30_000 });
    store(middle);
    expect(flagged('top-burst').map((f) => f.rating_id).sort()).toEqual([...early, middle, ...lateOnes].map((r) => r.id).sort());
  });

  it('an untrusted clock is judged when the hub corrects it, and the flag shows the corrected time', () => {
    const r = rating({ at: Date.parse('1970-01-01T00:10:00Z'), level: 4, clock: { trusted: false, source: 'none', bootId: 'boot-x', monoMs: 600_000 } });
    store(r);
    expect(flagged('off-hours')).toHaveLength(0);
    const corrected = cn('2026-11-18T21:00:00');
    db.transaction(() => {
      db.prepare('UPDATE ratings SET corrected_given_at = ?, flags = ? WHERE id = ?').run(new Date(corrected).toISOString(), JSON.stringify(['clock-corrected']), r.id);
      flags.onCorrected(db, { ratingIds: [r.id] });
    })();
    flags.drain();
    const f = db.prepare("SELECT given_at FROM misuse_flags WHERE rule = 'off-hours' AND rating_id = ?").get(r.id) as { given_at: string } | undefined;
    expect(f?.given_at).toBe(new Date(corrected).toISOString());
  });

  it('never alters, drops or blocks a rating: rows unchanged, and a failing rule still stores the rating', () => {
    const r = rating({ at: cn('2026-11-18T07:00:00'), origin: 'walk-up', flags: ['walk-up'] });
    store(r);
    const row = db.prepare('SELECT level, flags, body, given_at FROM ratings WHERE id = ?').get(r.id) as { level: number; flags: string; body: string; given_at: string };
    expect(row).toEqual({ level: 5, flags: JSON.stringify(['walk-up']), body: JSON.stringify(r), given_at: r.givenAt });
    expect(flagged().map((f) => f.rule).sort()).toEqual(['off-hours', 'walk-up']);
    db.exec('DROP TABLE misuse_marks'); // break the burst rule
    const next = rating({ at: cn('2026-11-18T07:01:00') });
    store(next);
    expect(db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id = ?').get(next.id)).toEqual({ n: 1 });
    // the rules before the failing one still flagged it; the failure is counted
    expect(flagged().filter((f) => f.rating_id === next.id).map((f) => f.rule)).toEqual(['off-hours']);
    expect(metrics.value('hcp_hub_misuse_errors_total')).toBe(1);
    // the stored rows of the ratings are exactly what was stored
    expect((db.prepare('SELECT body FROM ratings WHERE id = ?').get(next.id) as { body: string }).body).toBe(JSON.stringify(next));
  });

  it('acknowledge: audited with who and the note, all or nothing, never twice', () => {
    store(rating({ at: cn('2026-11-18T07:00:00'), level: 4 }));
    store(rating({ at: cn('2026-11-18T07:05:00'), level: 4 }));
    const ids = flags.list({ limit: 10 }).items.map((f) => f.id);
    expect(ids).toHaveLength(2);
    const err = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return isHcpError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(err(() => flags.acknowledge([ids[0]!, 9999], 'user:op', '核实：提前到岗'))).toBe('HCP_NOT_FOUND');
    expect(flags.list({ state: 'open', limit: 10 }).items).toHaveLength(2); // nothing acknowledged by the failed call
    const done = flags.acknowledge([ids[0]!], 'user:op', '核实：提前到岗办理');
    expect(done[0]).toMatchObject({ state: 'acknowledged', ackBy: 'user:op', ackNote: '核实：提前到岗办理' });
    expect(err(() => flags.acknowledge([ids[0]!], 'user:op2', 'again'))).toBe('HCP_CONFLICT');
    expect(audit.list(10).filter((a) => a.action === 'misuse.acknowledge')).toEqual([
      expect.objectContaining({ actor: 'user:op', target: `misuse:${ids[0]}`, detail: expect.objectContaining({ rule: 'off-hours', note: '核实：提前到岗办理' }) }),
    ]);
    expect(flags.list({ limit: 10 }).open['off-hours']).toBe(1);
  });

  it('judges after the commit: a hub stopped before judging judges the rest at its next start, each rating once', () => {
    const t = cn('2026-11-18T07:10:00'); // before opening: every rating gets off-hours
    const stored: Rating[] = [];
    const storeOnly = (r: Rating): void => {
      const after: (() => unknown)[] = [];
      db.transaction(() => ingest.storeLocal(db, r, clock.now(), (fn) => after.push(fn)))();
      for (const fn of after) fn();
      stored.push(r);
    };
    for (let i = 0; i < 3; i++) storeOnly(rating({ at: t + i * 60_000, level: 4 }));
    flags.drain();
    expect(flagged('off-hours')).toHaveLength(3);
    // queued but the process ends before the rules ran (kill -9 after the commit)
    for (let i = 3; i < 8; i++) storeOnly(rating({ at: t + i * 60_000, level: 4 }));
    expect(flagged('off-hours')).toHaveLength(3);
    // the next process: a fresh MisuseFlags on the same database, a new rating stored before its start()
    const next = new MisuseFlags({ db, clock, log, metrics, audit, bus: new EventBus(log), calendar: WorkingCalendar.china() }, DEFAULTS, { windowMs: 1, minIntervalMs: 1 });
    ingest.onStored(next.hook);
    storeOnly(rating({ at: t + 8 * 60_000, level: 4 }));
    next.start();
    try {
      next.drain();
    expect(flagged('off-hours').map((f) => f.rating_id).sort()).toEqual(stored.map((r) => r.id).sort());
      expect(db.prepare('SELECT last_rowid AS n FROM misuse_cursor').get()).toEqual(db.prepare('SELECT MAX(rowid) AS n FROM ratings').get());
    } finally {
      next.stop();
    }
  });

  it('top-burst flags exactly the ratings of some ≥ 5 within 60 s at their window, whatever the arrival order and batching', () => {
    // a brute-force reference over random traffic: in time order, out of order, same-millisecond ties
    let x = 12345;
    const rnd = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const t0 = cn('2026-11-18T09:00:00');
    const all: Rating[] = [];
    for (let i = 0; i < 600; i++) {
      const w = `w-0${1 + Math.floor(rnd() * 3)}`;
      const inOrder = rnd() < 0.8;
      const at = inOrder ? t0 + i * 4_000 + Math.floor(rnd() * 3) * 1000 : t0 + Math.floor(rnd() * 600 * 4_000);
      all.push(rating({ at, windowId: w, deviceId: w.replace('w', 'dev'), origin: 'session' }));
    }
    // stored in random batches, judged after each batch
    for (let i = 0; i < all.length;) {
      const n = 1 + Math.floor(rnd() * 40);
      const after: (() => unknown)[] = [];
      db.transaction(() => { for (const r of all.slice(i, i + n)) ingest.storeLocal(db, r, clock.now(), (fn) => after.push(fn)); })();
      for (const fn of after) fn();
      if (rnd() < 0.7) flags.drain();
      i += n;
    }
    flags.drain();
    const expected = new Set<string>();
    for (const w of ['w-01', 'w-02', 'w-03']) {
      const marks = all.filter((r) => r.windowId === w).map((r) => ({ id: r.id, atMs: Date.parse(r.givenAt) }))
        .sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : 1));
      for (let i = 0; i + 4 < marks.length; i++) if (marks[i + 4]!.atMs - marks[i]!.atMs <= 60_000) for (let k = i; k <= i + 4; k++) expected.add(marks[k]!.id);
    }
    expect(expected.size).toBeGreaterThan(20);
    expect(new Set(flagged('top-burst').map((f) => f.rating_id))).toEqual(expected);
  });
});
