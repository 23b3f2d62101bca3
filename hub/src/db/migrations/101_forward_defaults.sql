-- Default ratings (issue 6): sessions the default-rating job has decided on, so each session is
-- looked at once. result: sent (default records queued) | rated (nothing to do: every case rated).
CREATE TABLE forward_default_decisions (
  session_id TEXT PRIMARY KEY,
  rating_id TEXT,
  result TEXT NOT NULL CHECK (result IN ('sent', 'rated')),
  cases INTEGER NOT NULL,
  decided_ms INTEGER NOT NULL
);
