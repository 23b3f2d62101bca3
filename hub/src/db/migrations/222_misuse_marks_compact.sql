-- misuse_marks as one B-tree (issue 7): the burst rules insert a mark for most ratings, so the
-- table is keyed by what they look up (kind, scope, time) with the rating id last, and inserts
-- land at the end of their scope. The rows are derived data (level-5 first ratings per window,
-- staff-key ratings per device); they are rebuilt from ratings stored since.
DROP TABLE misuse_marks;
CREATE TABLE misuse_marks (
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  rating_id TEXT NOT NULL,
  PRIMARY KEY (kind, scope, at_ms, rating_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO misuse_marks (kind, scope, at_ms, rating_id)
  SELECT 'top', window_id, CAST(ROUND((julianday(COALESCE(corrected_given_at, given_at)) - 2440587.5) * 86400000) AS INTEGER), id FROM ratings
   WHERE level = 5 AND json_extract(body, '$.assessNumber') = 1 AND json_extract(body, '$.origin') <> 'default'
     AND (clock_trusted = 1 OR corrected_given_at IS NOT NULL);
INSERT OR IGNORE INTO misuse_marks (kind, scope, at_ms, rating_id)
  SELECT 'staff-key', device_id, CAST(ROUND((julianday(COALESCE(corrected_given_at, given_at)) - 2440587.5) * 86400000) AS INTEGER), id FROM ratings
   WHERE json_extract(body, '$.origin') = 'staff-key' AND (clock_trusted = 1 OR corrected_given_at IS NOT NULL);
