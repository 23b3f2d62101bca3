/**
 * Read APIs the dashboard cannot do without: the ratings feed (cursor by storage order) and the
 * satisfaction statistics behind its charts. Nothing personal leaves here: a rating carries no
 * applicant data, and case numbers are left out of the feed as well.
 * Days are counted in the hall's local time (UTC+8, China has no DST).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { ROLE } from '../http/roles.js';

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
interface TallyRow { key: string; name: string | null; total: number; good: number; bad: number; avg: number | null }

const LOCAL = "'+8 hours'";
const TALLY = 'COUNT(*) AS total, SUM(r.level >= 4) AS good, SUM(r.level <= 2) AS bad, ROUND(AVG(r.level), 2) AS avg';
const AT = 'COALESCE(r.corrected_given_at, r.given_at)';

/** One entry per local day, oldest first, zeros for days without ratings, so the trend has a true time axis. */
function everyDay(todayMidnightUtcMs: number, days: number, found: Map<string, { total: number; good: number; bad: number; avg: number | null }>) {
  const out = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(todayMidnightUtcMs - i * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
    out.push({ date, ...(found.get(date) ?? { total: 0, good: 0, bad: 0, avg: null }) });
  }
  return out;
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
  const byDay = s.db.prepare<[string], TallyRow>(
    `SELECT date(${AT}, ${LOCAL}) AS key, NULL AS name, ${TALLY} FROM ratings r WHERE ${AT} >= ? GROUP BY key ORDER BY key`,
  );
  const byWindow = s.db.prepare<[string], TallyRow>(
    `SELECT r.window_id AS key, w.name AS name, ${TALLY} FROM ratings r LEFT JOIN windows w ON w.id = r.window_id WHERE ${AT} >= ? GROUP BY r.window_id ORDER BY r.window_id`,
  );
  const byStaff = s.db.prepare<[string], TallyRow>(
    `SELECT json_extract(r.body, '$.staffId') AS key, st.name AS name, ${TALLY} FROM ratings r
       LEFT JOIN staff st ON st.id = json_extract(r.body, '$.staffId')
      WHERE ${AT} >= ? AND json_extract(r.body, '$.staffId') IS NOT NULL GROUP BY key ORDER BY key`,
  );
  const byItem = s.db.prepare<[string], TallyRow>(
    `SELECT json_extract(r.body, '$.itemCode') AS key,
            (SELECT se.item_name FROM sessions se WHERE se.item_code = json_extract(r.body, '$.itemCode') ORDER BY se.opened_at DESC LIMIT 1) AS name, ${TALLY}
       FROM ratings r WHERE ${AT} >= ? AND json_extract(r.body, '$.itemCode') IS NOT NULL GROUP BY key ORDER BY total DESC, key LIMIT 30`,
  );
  const byLevel = s.db.prepare<[string], { level: number; count: number }>(
    `SELECT r.level AS level, COUNT(*) AS count FROM ratings r WHERE ${AT} >= ? GROUP BY r.level ORDER BY r.level`,
  );

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
      tags, summary: '满意度统计 satisfaction per day, window, staff and item over the last N days (好评 = 4–5, 差评 = 1–2)',
      querystring: Type.Object({ days: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })) }, { additionalProperties: false }),
      response: { 200: Stats },
    },
  }, async (req) => {
    const days = Math.min(366, Number(req.query.days ?? 30));
    // local midnight (UTC+8) days-1 days ago, as a UTC instant
    const localMidnight = Math.floor((s.clock.now() + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000;
    const from = new Date(localMidnight - (days - 1) * 86_400_000).toISOString();
    const tally = (r: TallyRow) => ({ total: r.total, good: r.good ?? 0, bad: r.bad ?? 0, avg: r.avg });
    return {
      from,
      days: everyDay(localMidnight, days, new Map(byDay.all(from).map((r) => [r.key, tally(r)]))),
      windows: byWindow.all(from).map((r) => ({ id: r.key, name: r.name, ...tally(r) })),
      staff: byStaff.all(from).map((r) => ({ id: r.key, name: r.name, ...tally(r) })),
      items: byItem.all(from).map((r) => ({ id: r.key, name: r.name, ...tally(r) })),
      levels: byLevel.all(from),
    };
  });
};
