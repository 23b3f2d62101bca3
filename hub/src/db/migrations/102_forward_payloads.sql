-- Forward outbox rows get small (issue 6): the rating data and case context, written once, move to
-- forward_payloads (one row per rating, shared by its case rows), so claiming and recording
-- outcomes rewrite short rows only.
CREATE TABLE forward_payloads (
  rating_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  context TEXT NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO forward_payloads (rating_id, source, context) SELECT rating_id, source, context FROM forward_outbox ORDER BY seq;
ALTER TABLE forward_outbox DROP COLUMN source;
ALTER TABLE forward_outbox DROP COLUMN context;
