-- Misuse rules run after a rating's commit, in their own batched transactions (issue 4): judging
-- inside the ingest transaction wrote each window's and device's newest mark page once per
-- commit, a scattered write per rating that cost more than storing the rating itself.
-- The cursor is the last ratings.rowid judged; ratings above it (the hub stopped before it got
-- to them) are judged at the next start. Ratings stored before this migration were judged at ingest.
CREATE TABLE misuse_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_rowid INTEGER NOT NULL
);
INSERT INTO misuse_cursor (id, last_rowid) SELECT 1, COALESCE(MAX(rowid), 0) FROM ratings;
-- Ratings whose time the hub corrected (untrusted device clock), written in the correcting
-- transaction and judged again by the time rules afterwards.
CREATE TABLE misuse_pending (
  rating_id TEXT PRIMARY KEY
) WITHOUT ROWID;
