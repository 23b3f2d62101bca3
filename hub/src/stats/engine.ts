/**
 * The statistics engine: pure SQL over the hub database, the clock injected. Every figure of the
 * statistics API, the dashboard charts, the exports, the 通报 and the public results page comes
 * from `StatsEngine.query`. Definitions (numerator, denominator, which ratings count) are written
 * down in docs/statistics.md; the SQL pieces are in sql.ts.
 *
 * Two kinds of rows are counted, each by its own time:
 * - ratings (facts, sql.ts) by their statistics time → counts, 好评率, 差评率, average, default
 *   share, and the follow-up of each 差评 (回访率, 差评整改率, as the case stands now);
 * - sessions by their service time → 参评率 (rated 办件 ÷ served 办件).
 */
import { HcpError } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import { bucketEnd, buckets, rangeErrors, rangeInstants, type Period } from './period.js';
import { DEFAULT_FACTS, NOT_EXCLUDED, RATING_FACTS, SESSION_AT, periodSql } from './sql.js';

export type GroupBy = 'hall' | 'window' | 'staff' | 'department' | 'item';
export const GROUP_BYS: readonly GroupBy[] = ['hall', 'window', 'staff', 'department', 'item'];
export const PERIODS: readonly Period[] = ['day', 'week', 'month', 'all'];

export interface StatsQuery {
  readonly groupBy: GroupBy;
  readonly period: Period;
  /** First local day (UTC+8), inclusive, YYYY-MM-DD. */
  readonly from: string;
  /** Last local day, inclusive. */
  readonly to: string;
  /** Count default ratings (true, the default) or citizens' own ratings only. */
  readonly defaults?: boolean;
}

/** One group × period. Counts are in 办件 (case numbers) unless named otherwise; rates are 0..1 or null without a denominator. */
export interface StatsRow {
  /** window id, staff id, department name, item code, or 'all'; null = not set on the rating (e.g. walk-up without staff). */
  key: string | null;
  name: string | null;
  /** First local day of the bucket (clipped to from), and its last (clipped to to). */
  period: string;
  periodEnd: string;
  /** First ratings (citizens' decisions and default ratings), not weighted. */
  ratings: number;
  /** 办件 rated: first ratings weighted by the case numbers they cover. */
  cases: number;
  /** 办件 per level 1..5 (index 0 = level 1). */
  levels: [number, number, number, number, number];
  good: number;
  bad: number;
  goodRate: number | null;
  badRate: number | null;
  avg: number | null;
  defaultCases: number;
  defaultShare: number | null;
  /** 追加 (follow-up) ratings, not weighted; not in the level figures. */
  followUps: number;
  servedSessions: number;
  ratedSessions: number;
  servedCases: number;
  ratedCases: number;
  participationRate: number | null;
  /** Valid 差评 (first and 追加, not excluded), in 办件. */
  badReviews: number;
  contacted: number;
  rectified: number;
  contactRate: number | null;
  rectifyRate: number | null;
}

export interface StatsResult {
  groupBy: GroupBy;
  period: Period;
  from: string;
  to: string;
  timeZone: string;
  defaults: boolean;
  /** When the figures were computed: case states (回访, 整改) are as of this instant. */
  asOf: string;
  rows: StatsRow[];
  /** The whole range, all groups together. */
  total: StatsRow;
}

interface FactRow {
  key: string | null; period: string; ratings: number; cases: number | null;
  l1: number; l2: number; l3: number; l4: number; l5: number; default_cases: number;
  follow_ups: number; bad_reviews: number; contacted: number; rectified: number;
}
interface SessionRow { key: string | null; period: string; served_sessions: number; rated_sessions: number; served_cases: number; rated_cases: number }

/** Group key over facts `f` (or sessions `s`) joined to their window `wi`. */
const KEY: Record<GroupBy, { fact: string; session: string }> = {
  hall: { fact: "'all'", session: "'all'" },
  window: { fact: 'f.window_id', session: 's.window_id' },
  staff: { fact: 'f.staff_id', session: 's.staff_id' },
  department: { fact: 'wi.department', session: 'wi.department' },
  item: { fact: 'f.item_code', session: 's.item_code' },
};

const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null);

export function emptyRow(key: string | null, name: string | null, period: string, periodEnd: string): StatsRow {
  return {
    key, name, period, periodEnd, ratings: 0, cases: 0, levels: [0, 0, 0, 0, 0], good: 0, bad: 0, goodRate: null, badRate: null, avg: null,
    defaultCases: 0, defaultShare: null, followUps: 0, servedSessions: 0, ratedSessions: 0, servedCases: 0, ratedCases: 0, participationRate: null,
    badReviews: 0, contacted: 0, rectified: 0, contactRate: null, rectifyRate: null,
  };
}

/** Adds the counts of `r` into `into` (derived figures are recomputed by finish). */
function add(into: StatsRow, r: StatsRow): void {
  into.ratings += r.ratings;
  into.cases += r.cases;
  into.levels = into.levels.map((n, i) => n + r.levels[i]!) as StatsRow['levels'];
  into.defaultCases += r.defaultCases;
  into.followUps += r.followUps;
  into.servedSessions += r.servedSessions;
  into.ratedSessions += r.ratedSessions;
  into.servedCases += r.servedCases;
  into.ratedCases += r.ratedCases;
  into.badReviews += r.badReviews;
  into.contacted += r.contacted;
  into.rectified += r.rectified;
}

export class StatsEngine {
  private readonly cache = new Map<string, { facts: ReturnType<Db['prepare']>; sessions: ReturnType<Db['prepare']> }>();

  constructor(private readonly db: Db, private readonly clock: Clock) {}

  /** Validates the range (HCP_VALIDATION with field errors) and computes the figures. */
  query(q: StatsQuery): StatsResult {
    const errors = rangeErrors(q.from, q.to, q.period);
    if (errors.length) throw new HcpError('HCP_VALIDATION', { part: 'querystring', errors }, { message: 'querystring is invalid' });
    const defaults = q.defaults ?? true;
    const asOf = new Date(this.clock.now()).toISOString();
    const rows = this.rows(q.groupBy, q.period, q.from, q.to, defaults);
    // every fact and session is in exactly one group × period, so the total is the sum of the rows
    const total = emptyRow('all', this.names('hall')('all'), q.from, q.to);
    for (const r of rows) add(total, r);
    this.finish(total);
    return { groupBy: q.groupBy, period: q.period, from: q.from, to: q.to, timeZone: '+08:00', defaults, asOf, rows, total };
  }

  private statements(groupBy: GroupBy, period: Period) {
    const id = `${groupBy}/${period}`;
    let s = this.cache.get(id);
    if (!s) {
      const key = KEY[groupBy];
      const facts = this.db.prepare(`
        WITH f AS (${RATING_FACTS} UNION ALL ${DEFAULT_FACTS} AND @defaults = 1)
        SELECT ${key.fact} AS key, ${periodSql(period, 'f.at')} AS period,
               SUM(f.assess = 1) AS ratings,
               SUM(CASE WHEN f.assess = 1 THEN f.w END) AS cases,
               SUM(CASE WHEN f.assess = 1 AND f.level = 1 THEN f.w ELSE 0 END) AS l1,
               SUM(CASE WHEN f.assess = 1 AND f.level = 2 THEN f.w ELSE 0 END) AS l2,
               SUM(CASE WHEN f.assess = 1 AND f.level = 3 THEN f.w ELSE 0 END) AS l3,
               SUM(CASE WHEN f.assess = 1 AND f.level = 4 THEN f.w ELSE 0 END) AS l4,
               SUM(CASE WHEN f.assess = 1 AND f.level = 5 THEN f.w ELSE 0 END) AS l5,
               SUM(CASE WHEN f.assess = 1 AND f.dflt = 1 THEN f.w ELSE 0 END) AS default_cases,
               SUM(f.assess = 2) AS follow_ups,
               SUM(CASE WHEN f.level <= 2 THEN f.w ELSE 0 END) AS bad_reviews,
               SUM(CASE WHEN f.level <= 2 AND (c.contacted_at IS NOT NULL OR c.state IN ('contacted', 'rectifying', 'done')) THEN f.w ELSE 0 END) AS contacted,
               SUM(CASE WHEN f.level <= 2 AND c.state = 'done' THEN f.w ELSE 0 END) AS rectified
          FROM f LEFT JOIN bad_review_cases c ON c.rating_id = f.id${groupBy === 'department' ? ' LEFT JOIN windows wi ON wi.id = f.window_id' : ''}
         GROUP BY 1, 2`);
      // 参评率: a session is rated when a citizen's first rating of it is stored and not excluded
      // (a default rating is not participation). sessions.rating_id is that first rating: the
      // sessions ingest hook sets it when the first rating naming the session is stored (device or
      // phone page alike), in the same transaction.
      const sessions = this.db.prepare(`
        SELECT ${key.session} AS key, ${periodSql(period, 's.at')} AS period,
               COUNT(*) AS served_sessions, SUM(s.rated) AS rated_sessions, SUM(s.w) AS served_cases, SUM(s.rated * s.w) AS rated_cases
          FROM (SELECT s.window_id, s.staff_id, s.item_code, ${SESSION_AT} AS at, max(1, json_array_length(s.case_numbers)) AS w,
                       (s.rating_id IS NOT NULL AND ${NOT_EXCLUDED('s.rating_id')}) AS rated
                  FROM sessions s WHERE ${SESSION_AT} >= @from AND ${SESSION_AT} < @to) s
          ${groupBy === 'department' ? 'LEFT JOIN windows wi ON wi.id = s.window_id' : ''}
         GROUP BY 1, 2`);
      s = { facts, sessions };
      this.cache.set(id, s);
    }
    return s;
  }

  private rows(groupBy: GroupBy, period: Period, from: string, to: string, defaults: boolean): StatsRow[] {
    const st = this.statements(groupBy, period);
    const { fromIso, toIso } = rangeInstants(from, to);
    const params = { from: fromIso, to: toIso, fromDate: from, defaults: defaults ? 1 : 0 };
    const out = new Map<string, StatsRow>();
    const names = this.names(groupBy);
    const row = (key: string | null, p: string): StatsRow => {
      // a week or month that began before `from` is labelled by its first day inside the range
      const start = p < from ? from : p;
      const id = `${key ?? '\u0000'}|${start}`;
      let r = out.get(id);
      if (!r) {
        r = emptyRow(key, key === null ? null : names(key), start, bucketEnd(p, period, to));
        out.set(id, r);
      }
      return r;
    };
    for (const f of st.facts.all(params) as FactRow[]) {
      const r = row(f.key, f.period);
      r.ratings = f.ratings;
      r.cases = f.cases ?? 0;
      r.levels = [f.l1, f.l2, f.l3, f.l4, f.l5];
      r.defaultCases = f.default_cases;
      r.followUps = f.follow_ups;
      r.badReviews = f.bad_reviews;
      r.contacted = f.contacted;
      r.rectified = f.rectified;
    }
    for (const s of st.sessions.all(params) as SessionRow[]) {
      const r = row(s.key, s.period);
      r.servedSessions = s.served_sessions;
      r.ratedSessions = s.rated_sessions;
      r.servedCases = s.served_cases;
      r.ratedCases = s.rated_cases;
    }
    // the hall's trend gets every bucket, empty ones too, so a chart has a true time axis
    if (groupBy === 'hall') for (const b of buckets(from, to, period)) row('all', b);
    return [...out.values()].map((r) => this.finish(r)).sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : (a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  }

  /** Derived figures of a row from its counts. */
  private finish(r: StatsRow): StatsRow {
    r.good = r.levels[2] + r.levels[3] + r.levels[4];
    r.avg = r.cases ? Math.round((r.levels.reduce((sum, n, i) => sum + n * (i + 1), 0) / r.cases) * 100) / 100 : null;
    r.bad = r.levels[0] + r.levels[1];
    r.goodRate = ratio(r.good, r.cases);
    r.badRate = ratio(r.bad, r.cases);
    r.defaultShare = ratio(r.defaultCases, r.cases);
    r.participationRate = ratio(r.ratedCases, r.servedCases);
    r.contactRate = ratio(r.contacted, r.badReviews);
    r.rectifyRate = ratio(r.rectified, r.badReviews);
    return r;
  }

  /** Display names for group keys, read fresh per query (the registry may have changed). */
  private names(groupBy: GroupBy): (key: string) => string | null {
    if (groupBy === 'hall') {
      const h = this.db.prepare('SELECT name FROM halls ORDER BY created_at LIMIT 1').get() as { name: string } | undefined;
      return () => h?.name ?? null;
    }
    if (groupBy === 'department') return (k) => k;
    const sql = groupBy === 'window' ? 'SELECT id, name FROM windows'
      : groupBy === 'staff' ? 'SELECT id, name FROM staff'
      // an item's name is what the newest session carrying its code called it (SQLite takes the bare
      // columns from the row holding the max)
      : 'SELECT item_code AS id, item_name AS name, max(opened_at) FROM sessions GROUP BY item_code';
    const m = new Map((this.db.prepare(sql).all() as { id: string; name: string }[]).map((x) => [x.id, x.name]));
    return (k) => m.get(k) ?? null;
  }
}
