-- Statistics (issue 7, docs/statistics.md) select ratings and sessions by time range. These indexes
-- hold the exact expressions the stats engine (hub/src/stats/sql.ts) uses, so a month's figures
-- or a streamed export read only the rows of the range:
-- a rating's statistics time is the hub-corrected time, else the device time when its clock was
-- trusted, else the time the hub stored it; normalized to UTC 'YYYY-MM-DDTHH:MM:SS.SSSZ' because
-- devices may send instants with an offset. A session's is its service time (served_at, else opened_at).
CREATE INDEX ratings_stat_at ON ratings (
  strftime('%Y-%m-%dT%H:%M:%fZ', CASE WHEN corrected_given_at IS NOT NULL THEN corrected_given_at WHEN clock_trusted = 1 THEN given_at ELSE received_at END), id
);
CREATE INDEX sessions_stat_at ON sessions (strftime('%Y-%m-%dT%H:%M:%fZ', COALESCE(served_at, opened_at)));
