-- Deadline extensions of 差评 cases (延期), each with its reason and who granted it. The count per
-- case is bounded by config cases.maxExtensions; bad_review_cases.due_at holds the current deadline.
CREATE TABLE case_extensions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL REFERENCES bad_review_cases(id),
  days INTEGER NOT NULL CHECK (days > 0),
  reason TEXT NOT NULL,
  from_due_at TEXT NOT NULL,
  to_due_at TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  granted_at TEXT NOT NULL
);
CREATE INDEX case_extensions_case ON case_extensions (case_id);
