-- 差评 follow-up (issue 7), owned by hub/src/cases. The history of every case: one row per step
-- (opened, contacted, rectifying, done, unable, extended, appealed, appeal-upheld, appeal-rejected,
-- overdue, review-overdue), written in the transaction of the change it records, with who and when.
-- The audit log holds the same mutations hall-wide; this table is the per-case view of them.
CREATE TABLE case_steps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL REFERENCES bad_review_cases(id),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  -- contact note (回访记录), measure (整改措施), result, reason, appeal grounds or review note
  note TEXT,
  detail TEXT
);
CREATE INDEX case_steps_case ON case_steps (case_id, id);

-- Overdue alerts already raised, one per (case, kind, deadline): an extension moves the deadline,
-- which arms the alert again. kind: case (整改 deadline) | review (复核 deadline of an appeal).
CREATE TABLE case_overdue_alerts (
  case_id TEXT NOT NULL REFERENCES bad_review_cases(id),
  kind TEXT NOT NULL CHECK (kind IN ('case', 'review')),
  due_at TEXT NOT NULL,
  raised_at TEXT NOT NULL,
  PRIMARY KEY (case_id, kind, due_at)
);
