/**
 * Read APIs the dashboard cannot do without: the ratings feed (cursor by storage order) and the
 * satisfaction statistics behind its charts. Nothing personal leaves here: a rating carries no
 * applicant data, and case numbers are left out of the feed as well.
 * Days are counted in the hall's local time (UTC+8, China has no DST); the statistics come from
 * the statistics engine (hub/src/stats), the same figures as /api/stats.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { ROLE } from '../http/roles.js';
import { StatsEngine, type GroupBy, type StatsRow } from '../stats/engine.js';
import { addDays, dayStartMs, localDate } from '../stats/period.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const FeedItem = Type.Object({
  seq: Type.Integer({ description: 'storage order; pass the largest as `after` to get only newer ratings' }),
  id: Type.String(), givenAt: Type.String(), receivedAt: Type.String(),
  windowId: Type.String(), windowName: Nullable(Type.String()),
  staffId: Nullable(Type.String()), staffName: Nullable(Type.String()),
  deviceId: Type.String(), level: Type.Integer(),
  reasons: Type.Array(Type.Object({ code: Type.String(), name: Nullable(Type.String()) })),
  channel: Nullable(Type.Integer()), origin: Nullable(Type.String()), flags: Type.Array(Type.String()), clockTrusted: Type.Boolean(),
});
const Tally = { total: Type.Integer(), good: Type.Integer(), bad: Type.Integer(), avg: Nullable(Type.Number()) };
const Stats = Type.Object({
  from: Type.String(),
  days: Type.Array(Type.Object({ date: Type.String(), ...Tally })),
  windows: Type.Array(Type.Object({ id: Type.String(), name: Nullable(Type.String()), ...Tally })),
  staff: Type.Array(Type.Object({ id: Type.String(), name: Nullable(Type.String()), ...Tally })),
  items: Type.Array(Type.Object({ id: Type.String(), name: Nullable(Type.String()), ...Tally }), { description: 'per service item (事项), named from the sessions that carried it' }),
  levels: Type.Array(Type.Object({ level: Type.Integer(), count: Type.Integer() })),
});

interface FeedRow {
  seq: number; id: string; given_at: string; corrected_given_at: string | null; received_at: string; window_id: string; window_name: string | null;
  device_id: string; level: number; clock_trusted: number; flags: string; body: string;
}
export const dashboardApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  const tags = ['dashboard'];
  const feed = s.db.prepare<[number, number], FeedRow>(
    `SELECT r.rowid AS seq, r.id, r.given_at, r.corrected_given_at, r.received_at, r.window_id, w.name AS window_name, r.device_id, r.level,
            r.clock_trusted, r.flags, r.body
       FROM ratings r LEFT JOIN windows w ON w.id = r.window_id
      WHERE r.rowid > ? ORDER BY r.rowid DESC LIMIT ?`,
  );
  const staffNames = s.db.prepare<[], { id: string; name: string }>('SELECT id, name FROM staff');
  // the charts' figures come from the statistics engine, so they agree with /api/stats, the
  // exports and the 通报 (definitions: docs/statistics.md)
  const engine = new StatsEngine(s.db, s.clock);

  app.get('/api/dashboard/ratings', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '实时评价 ratings feed, newest first (no personal data)',
      querystring: Type.Object({
        after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
        limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(FeedItem), cursor: Type.Integer() }) },
    },
  }, async (req) => {
    const after = Number(req.query.after ?? 0);
    const rows = feed.all(after, Math.min(200, Number(req.query.limit ?? 50)));
    const names = new Map(staffNames.all().map((r) => [r.id, r.name]));
    const reasonNames = new Map((s.deviceSettings.indicators()?.items ?? []).map((i) => [i.code, i.name]));
    const items = rows.map((r) => {
      const b = JSON.parse(r.body) as { staffId?: string | null; indicators?: string[]; channel?: number; origin?: string };
      const staffId = b.staffId ?? null;
      return {
        seq: r.seq, id: r.id, givenAt: r.corrected_given_at ?? r.given_at, receivedAt: r.received_at,
        windowId: r.window_id, windowName: r.window_name, staffId, staffName: staffId ? names.get(staffId) ?? null : null,
        deviceId: r.device_id, level: r.level,
        reasons: (b.indicators ?? []).map((code) => ({ code, name: reasonNames.get(code) ?? null })),
        channel: b.channel ?? null, origin: b.origin ?? null, flags: JSON.parse(r.flags) as string[], clockTrusted: r.clock_trusted === 1,
      };
    });
    return { items, cursor: rows.length ? rows[0]!.seq : after };
  });

  app.get('/api/dashboard/stats', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '满意度统计 per day, window, staff and item over the last N days: the engine of /api/stats (totals in 办件; 好评 = 3–5, 差评 = 1–2; docs/statistics.md)',
      querystring: Type.Object({ days: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })) }, { additionalProperties: false }),
      response: { 200: Stats },
    },
  }, async (req) => {
    const days = Math.min(366, Number(req.query.days ?? 30));
    const today = localDate(s.clock.now());
    const fromDate = addDays(today, -(days - 1));
    const q = (groupBy: GroupBy, period: 'day' | 'all' = 'all') => engine.query({ groupBy, period, from: fromDate, to: today }).rows;
    const tally = (r: StatsRow) => ({ total: r.cases, good: r.good, bad: r.bad, avg: r.avg });
    const total = engine.query({ groupBy: 'hall', period: 'all', from: fromDate, to: today }).total;
    return {
      from: new Date(dayStartMs(fromDate)).toISOString(),
      days: q('hall', 'day').map((r) => ({ date: r.period, ...tally(r) })),
      windows: q('window').map((r) => ({ id: r.key ?? '', name: r.name, ...tally(r) })),
      staff: q('staff').filter((r) => r.key !== null).map((r) => ({ id: r.key!, name: r.name, ...tally(r) })),
      items: q('item').filter((r) => r.key !== null).sort((a, b) => b.cases - a.cases || (a.key! < b.key! ? -1 : 1)).slice(0, 30).map((r) => ({ id: r.key!, name: r.name, ...tally(r) })),
      levels: total.levels.map((count, i) => ({ level: i + 1, count })).filter((l) => l.count > 0),
    };
  });
};
