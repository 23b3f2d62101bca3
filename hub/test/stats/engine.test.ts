/**
 * The statistics engine against a real SQLite hub database holding the hand-made week of
 * fixture.ts. Every expected figure below is counted by hand from the table in fixture.ts
 * (docs/statistics.md gives the definitions): exclusions, default ratings, batch ratings weighted
 * by 办件, 追加 ratings, untrusted / corrected clocks and the UTC+8 day boundaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/hub.js';
import { openTestDb, tempDir } from '../forward/helpers.js';
import type { Db } from '../../src/db/db.js';
import { StatsEngine, type StatsRow } from '../../src/stats/engine.js';
import { seedStatsFixture } from './fixture.js';

describe('statistics engine', () => {
  const t = tempDir();
  let db: Db;
  let engine: StatsEngine;
  const clock = new FakeClock(Date.parse('2026-11-23T02:00:00.000Z'));
  const week = { from: '2026-11-16', to: '2026-11-22' };

  beforeAll(async () => {
    db = await openTestDb(t.dir);
    seedStatsFixture(db);
    engine = new StatsEngine(db, clock);
  });
  afterAll(() => {
    db.close();
    t.cleanup();
  });

  const pick = (r: StatsRow) => ({
    ratings: r.ratings, cases: r.cases, levels: r.levels, good: r.good, bad: r.bad, goodRate: r.goodRate, badRate: r.badRate, avg: r.avg,
    defaultCases: r.defaultCases, defaultShare: r.defaultShare, followUps: r.followUps, servedSessions: r.servedSessions, ratedSessions: r.ratedSessions,
    servedCases: r.servedCases, ratedCases: r.ratedCases, participationRate: r.participationRate, badReviews: r.badReviews, contacted: r.contacted,
    rectified: r.rectified, contactRate: r.contactRate, rectifyRate: r.rectifyRate,
  });

  it('computes the hall total of the week by hand-counted definitions', () => {
    const r = engine.query({ groupBy: 'hall', period: 'all', ...week });
    expect(r).toMatchObject({ from: '2026-11-16', to: '2026-11-22', timeZone: '+08:00', defaults: true, asOf: '2026-11-23T02:00:00.000Z' });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ key: 'all', name: '测试政务服务大厅', period: '2026-11-16', periodEnd: '2026-11-22' });
    // first ratings R1 R2 R3 R4 R6 R7 R8 D1 D2 (R5 excluded, R9/R10 outside, R11 is 追加)
    // 办件: 1+1+3+1+1+1+1+2+1 = 12; levels 1:R3×3, 2:R4+R7, 3:R6, 4:R2+D1×2+D2, 5:R1+R8
    expect(pick(r.total)).toEqual({
      ratings: 9, cases: 12, levels: [3, 2, 1, 4, 2], good: 7, bad: 5, goodRate: 0.5833, badRate: 0.4167, avg: 3,
      defaultCases: 3, defaultShare: 0.25, followUps: 1,
      // S1 S2 S3 S4 S5 S6 S7 S10 served (办件 1+1+3+1+1+1+2+2); rated by a citizen: S1 S2 S3 S4 S6 (S5's rating is excluded)
      servedSessions: 8, ratedSessions: 5, servedCases: 12, ratedCases: 7, participationRate: 0.5833,
      // valid 差评 in 办件: R3×3, R4, R7 (no case opened), R11 (追加); 回访: R3 R4 R11; 整改 done: R3
      badReviews: 6, contacted: 5, rectified: 3, contactRate: 0.8333, rectifyRate: 0.5,
    });
    expect(r.rows[0]).toEqual(r.total);
  });

  it('leaves out default ratings on request, and only those', () => {
    const r = engine.query({ groupBy: 'hall', period: 'all', ...week, defaults: false });
    expect(pick(r.total)).toMatchObject({ ratings: 7, cases: 9, levels: [3, 2, 1, 1, 2], good: 4, defaultCases: 0, defaultShare: 0, avg: 2.67, servedCases: 12, ratedCases: 7 });
  });

  it('groups per window, staff and department', () => {
    const w = engine.query({ groupBy: 'window', period: 'all', ...week });
    expect(w.rows.map((r) => [r.key, r.name])).toEqual([['w-01', '1号综合窗口'], ['w-02', '2号社保窗口'], ['w-03', '3号咨询窗口']]);
    const [w1, w2, w3] = w.rows as [StatsRow, StatsRow, StatsRow];
    expect(pick(w1)).toEqual({
      ratings: 5, cases: 7, levels: [3, 1, 0, 2, 1], good: 3, bad: 4, goodRate: 0.4286, badRate: 0.5714, avg: 2.57,
      defaultCases: 1, defaultShare: 0.1429, followUps: 1, servedSessions: 5, ratedSessions: 4, servedCases: 8, ratedCases: 6, participationRate: 0.75,
      badReviews: 5, contacted: 4, rectified: 3, contactRate: 0.8, rectifyRate: 0.6,
    });
    expect(pick(w2)).toEqual({
      ratings: 3, cases: 4, levels: [0, 1, 1, 2, 0], good: 3, bad: 1, goodRate: 0.75, badRate: 0.25, avg: 3.25,
      defaultCases: 2, defaultShare: 0.5, followUps: 0, servedSessions: 3, ratedSessions: 1, servedCases: 4, ratedCases: 1, participationRate: 0.25,
      badReviews: 1, contacted: 1, rectified: 0, contactRate: 1, rectifyRate: 0,
    });
    expect(pick(w3)).toMatchObject({ ratings: 1, cases: 1, servedSessions: 0, participationRate: null, badReviews: 0, rectifyRate: null });

    const st = engine.query({ groupBy: 'staff', period: 'all', ...week });
    // the walk-up rating R8 names no staff member: its own row with key null
    expect(st.rows.map((r) => [r.key, r.name, r.cases])).toEqual([[null, null, 1], ['st-a', '王晓燕', 7], ['st-b', '李明', 4]]);
    expect(pick(st.rows[1]!)).toEqual(pick(w1));

    const d = engine.query({ groupBy: 'department', period: 'all', ...week });
    expect(d.rows.map((r) => [r.key, r.cases, r.participationRate])).toEqual([[null, 1, null], ['人社局', 4, 0.25], ['市场监管局', 7, 0.75]]);
  });

  it('groups per service item, named from its sessions', () => {
    const r = engine.query({ groupBy: 'item', period: 'all', ...week });
    expect(r.rows.map((x) => [x.key, x.name, x.cases, x.levels])).toEqual([
      [null, null, 1, [0, 0, 0, 0, 1]],
      ['IT1', '个体工商户登记', 6, [0, 2, 1, 2, 1]],
      ['IT2', '社会保险参保登记', 5, [3, 0, 0, 2, 0]],
    ]);
  });

  it('puts each rating on its UTC+8 day, with an empty day on the axis', () => {
    const r = engine.query({ groupBy: 'hall', period: 'day', ...week });
    expect(r.rows.map((x) => [x.period, x.periodEnd, x.cases, x.servedCases, x.ratedCases])).toEqual([
      ['2026-11-16', '2026-11-16', 2, 4, 2], // R1 (00:00 local) R2; S1 (00:30 local) S2 S7
      ['2026-11-17', '2026-11-17', 4, 3, 3], // R3×3 D2; S3
      ['2026-11-18', '2026-11-18', 1, 2, 1], // R4 (R5 excluded); S4 S5
      ['2026-11-19', '2026-11-19', 1, 0, 0], // R6 by its storage time (untrusted clock); R11 is 追加
      ['2026-11-20', '2026-11-20', 1, 1, 1], // R7 by its corrected time; S6 by opened_at
      ['2026-11-21', '2026-11-21', 2, 2, 0], // D1×2; S10 (served_at with +08:00 offset)
      ['2026-11-22', '2026-11-22', 1, 0, 0], // R8 at 23:59:59.999 local
    ]);
    expect(r.rows[3]!.followUps).toBe(1);
    // a day without anything is on the axis too
    const quiet = engine.query({ groupBy: 'hall', period: 'day', from: '2026-11-01', to: '2026-11-02' });
    expect(quiet.rows.map((x) => [x.period, x.cases, x.avg])).toEqual([['2026-11-01', 0, null], ['2026-11-02', 0, null]]);
  });

  it('buckets weeks from Monday and months from the 1st, clipped to the range', () => {
    const w = engine.query({ groupBy: 'hall', period: 'week', from: '2026-11-12', to: '2026-11-22' });
    // 11-12..11-15 is the tail of the week of Monday 11-09: only R10 (11-15 23:59:59.999) and S8 is on the 10th (outside)
    expect(w.rows.map((x) => [x.period, x.periodEnd, x.cases, x.levels[4]])).toEqual([['2026-11-12', '2026-11-15', 1, 1], ['2026-11-16', '2026-11-22', 12, 2]]);
    const m = engine.query({ groupBy: 'window', period: 'month', from: '2026-11-01', to: '2026-11-30' });
    // the month adds R9 (11-23) and R10 (11-15) on w-01, S8 (11-10) and S9 (11-23) as served sessions
    expect(m.rows.map((x) => [x.key, x.period, x.periodEnd, x.cases, x.servedCases])).toEqual([
      ['w-01', '2026-11-01', '2026-11-30', 9, 9], ['w-02', '2026-11-01', '2026-11-30', 4, 4], ['w-03', '2026-11-01', '2026-11-30', 1, 1],
    ]);
    expect(m.total.bad).toBe(6);
  });

  it('an exclusion decided later takes the rating out of every figure', () => {
    const before = engine.query({ groupBy: 'hall', period: 'all', ...week }).total;
    db.prepare("INSERT INTO rating_exclusions (rating_id, reason, decided_by, decided_at) VALUES ((SELECT id FROM ratings WHERE session_id = 'S3'), 'mistaken', 't', '2026-11-23T01:00:00.000Z')").run();
    const after = engine.query({ groupBy: 'hall', period: 'all', ...week }).total;
    db.prepare("DELETE FROM rating_exclusions WHERE rating_id = (SELECT id FROM ratings WHERE session_id = 'S3')").run();
    expect(after.cases).toBe(before.cases - 3);
    expect(after.levels[0]).toBe(0);
    expect(after.ratedCases).toBe(before.ratedCases - 3);
    expect([after.badReviews, after.contacted, after.rectified]).toEqual([3, 2, 0]);
  });

  it('refuses impossible ranges with field errors', () => {
    const fail = (q: Parameters<StatsEngine['query']>[0]) => {
      try {
        engine.query(q);
      } catch (err) {
        return err as { code: string; statusCode: number; detail: { errors: { field: string }[] } };
      }
      throw new Error('no error');
    };
    const a = fail({ groupBy: 'hall', period: 'day', from: '2026-02-30', to: '2026-03-01' });
    expect([a.code, a.statusCode, a.detail.errors.map((e) => e.field)]).toEqual(['HCP_VALIDATION', 400, ['/from']]);
    expect(fail({ groupBy: 'hall', period: 'day', from: '2026-03-02', to: '2026-03-01' }).detail.errors[0]!.field).toBe('/to');
    expect(fail({ groupBy: 'hall', period: 'day', from: '2025-01-01', to: '2026-03-01' }).detail.errors[0]!.field).toBe('/to');
    expect(engine.query({ groupBy: 'hall', period: 'month', from: '2025-01-01', to: '2026-03-01' }).rows).toHaveLength(15);
  });
});
