-- 差评 follow-up (issue 7). This file is the contract between the cases module (hub/src/cases),
-- which owns the rows, and statistics (hub/src/stats), which only reads them. Extra case tables go
-- in later migrations (201+), so these columns keep their meaning.

-- One case per rating of level 1–2, opened in the transaction that stores the rating.
CREATE TABLE bad_review_cases (
  id TEXT PRIMARY KEY,
  rating_id TEXT NOT NULL UNIQUE,
  hall_id TEXT NOT NULL,
  window_id TEXT NOT NULL,
  staff_id TEXT,
  session_id TEXT,
  level INTEGER NOT NULL CHECK (level IN (1, 2)),
  -- new → contacted (回访) → rectifying (整改) → done; or unable (closed as unable to rectify, with close_reason)
  state TEXT NOT NULL CHECK (state IN ('new', 'contacted', 'rectifying', 'done', 'unable')),
  opened_at TEXT NOT NULL,
  -- deadline in working days from the calendar (ISO instant); moved by extensions
  due_at TEXT NOT NULL,
  contacted_at TEXT,
  rectifying_at TEXT,
  closed_at TEXT,
  close_reason TEXT,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX bad_review_cases_state ON bad_review_cases (state, due_at);
CREATE INDEX bad_review_cases_opened ON bad_review_cases (opened_at);

-- Ratings a reviewer (复核) found mistaken or malicious: excluded from every statistic, kept on record.
CREATE TABLE rating_exclusions (
  rating_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('mistaken', 'malicious')),
  note TEXT,
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL
);
