/**
 * The SQL building blocks of every statistic, in one place so the figures, the exports, the
 * 通报 and the public page cannot drift apart. Definitions in words: docs/statistics.md.
 *
 * A "fact" is one rating as statistics see it: a rating the hub stored from a device or the phone
 * page (table `ratings`), or a default rating the forwarder made for an unrated session
 * (`forward_default_decisions` + `forward_payloads`), in both cases unless a reviewer excluded it
 * (`rating_exclusions`, migration 200). Its weight `w` is the number of 办件 (case numbers) it
 * covers, at least 1: a batch rating (批量业务, one rating for all) counts once per case number,
 * as the provincial system receives one record per projectNo.
 */

/** Normalized UTC instant text, so ISO strings with offsets compare correctly (see migration 211). */
const norm = (expr: string): string => `strftime('%Y-%m-%dT%H:%M:%fZ', ${expr})`;

/**
 * A stored rating's statistics time: the hub-corrected time, else the device's time when its
 * clock was trusted, else when the hub stored it (the forwarder sends the same time).
 * Must stay identical to the expression of index ratings_stat_at (migration 211).
 */
export const RATING_AT = norm('CASE WHEN r.corrected_given_at IS NOT NULL THEN r.corrected_given_at WHEN r.clock_trusted = 1 THEN r.given_at ELSE r.received_at END');
/** A session's service time; identical to index sessions_stat_at (migration 211). */
export const SESSION_AT = norm('COALESCE(s.served_at, s.opened_at)');
/** A default rating's time: when the hub made it (its givenAt). Index forward_payloads_default_at (migration 212). */
export const DEFAULT_AT = norm("json_extract(p.source, '$.givenAt')");
/** The partial index's condition, repeated so SQLite may use it. */
export const DEFAULT_ONLY = "json_extract(p.source, '$.origin') = 'default'";

export const NOT_EXCLUDED = (idExpr: string): string => `NOT EXISTS (SELECT 1 FROM rating_exclusions x WHERE x.rating_id = ${idExpr})`;

/** Stored ratings in [@from, @to) as facts. */
export const RATING_FACTS = `
  SELECT r.id AS id, r.window_id AS window_id, json_extract(r.body, '$.staffId') AS staff_id, json_extract(r.body, '$.itemCode') AS item_code,
         r.level AS level, ${RATING_AT} AS at, max(1, json_array_length(r.body, '$.caseNumbers')) AS w, 0 AS dflt,
         json_extract(r.body, '$.assessNumber') AS assess
    FROM ratings r
   WHERE ${RATING_AT} >= @from AND ${RATING_AT} < @to AND ${NOT_EXCLUDED('r.id')}`;

/**
 * Default ratings in [@from, @to) as facts (a default is always a first rating). CROSS JOIN keeps
 * the payloads' time index (migration 212) as the outer loop.
 */
export const DEFAULT_FACTS = `
  SELECT d.rating_id AS id, json_extract(p.source, '$.windowId') AS window_id, json_extract(p.source, '$.staffId') AS staff_id,
         json_extract(p.source, '$.itemCode') AS item_code, json_extract(p.source, '$.level') AS level, ${DEFAULT_AT} AS at,
         max(1, d.cases) AS w, 1 AS dflt, 1 AS assess
    FROM forward_payloads p CROSS JOIN forward_default_decisions d ON d.rating_id = p.rating_id
   WHERE ${DEFAULT_ONLY} AND d.result = 'sent' AND ${DEFAULT_AT} >= @from AND ${DEFAULT_AT} < @to AND ${NOT_EXCLUDED('d.rating_id')}`;

/** Period bucket (its first local day) of a UTC instant column. 'all' buckets everything under @fromDate. */
export function periodSql(period: 'day' | 'week' | 'month' | 'all', col: string): string {
  switch (period) {
    case 'day': return `date(${col}, '+8 hours')`;
    // 'weekday 0' moves forward to Sunday (or stays on one); six days back is that week's Monday
    case 'week': return `date(${col}, '+8 hours', 'weekday 0', '-6 days')`;
    case 'month': return `strftime('%Y-%m-01', ${col}, '+8 hours')`;
    case 'all': return '@fromDate';
  }
}
