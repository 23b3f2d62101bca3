-- Faster claims (issue 6). A row's place in the queue is `due_ms` (its next attempt time while
-- pending or in flight, NULL once delivered or dead). The queue indexes reference due_ms only, so
-- marking rows in-flight (a state change) touches no index; only finishing a row does.
ALTER TABLE forward_outbox ADD COLUMN due_ms INTEGER;
UPDATE forward_outbox SET due_ms = next_attempt_ms WHERE state IN ('pending', 'in-flight');
DROP INDEX forward_outbox_due;
DROP INDEX forward_outbox_open;
CREATE INDEX forward_outbox_queue ON forward_outbox(due_ms, seq) WHERE due_ms IS NOT NULL;
CREATE INDEX forward_outbox_open_seq ON forward_outbox(seq) WHERE due_ms IS NOT NULL;

-- Payload rows are about 1 KB: a rowid table (WITHOUT ROWID suits short rows only).
CREATE TABLE forward_payloads_rowid (
  id INTEGER PRIMARY KEY,
  rating_id TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  context TEXT NOT NULL,
  record TEXT,
  record_profile TEXT
);
INSERT INTO forward_payloads_rowid (rating_id, source, context, record, record_profile)
  SELECT rating_id, source, context, record, record_profile FROM forward_payloads;
DROP TABLE forward_payloads;
ALTER TABLE forward_payloads_rowid RENAME TO forward_payloads;
