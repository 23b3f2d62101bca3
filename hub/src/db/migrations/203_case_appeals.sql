-- Appeals (申诉) against a 差评 and their review (复核). At most one appeal per case. An upheld
-- appeal also writes rating_exclusions (migration 200) in the same transaction.
CREATE TABLE case_appeals (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL UNIQUE REFERENCES bad_review_cases(id),
  rating_id TEXT NOT NULL,
  -- the staff member the appeal is for (filed by them or by an operator on their behalf)
  staff_id TEXT,
  claim TEXT NOT NULL CHECK (claim IN ('mistaken', 'malicious')),
  grounds TEXT NOT NULL,
  filed_by TEXT NOT NULL,
  filed_at TEXT NOT NULL,
  review_due_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'upheld', 'rejected')),
  decided_by TEXT,
  decided_at TEXT,
  decision_note TEXT
);
CREATE INDEX case_appeals_pending ON case_appeals (review_due_at) WHERE state = 'pending';
