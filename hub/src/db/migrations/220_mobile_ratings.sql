-- Ratings given on a phone through the device's QR link (hub/src/mobile, docs/mobile-rating.md).
-- The rating itself lives in `ratings` like every other; this table holds what makes the phone path
-- exactly-once: the page's idempotency key (submission_id) and at most one first (1) and one
-- follow-up (2) phone rating per session. `seq` numbers the hub-made ratings (Rating.seq).
CREATE TABLE mobile_ratings (
  seq INTEGER PRIMARY KEY,
  submission_id TEXT NOT NULL UNIQUE,
  rating_id TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  assess_number INTEGER NOT NULL CHECK (assess_number IN (1, 2)),
  -- sha256 of the request body without the key: the same key with another body is a conflict
  request_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (session_id, assess_number)
);
