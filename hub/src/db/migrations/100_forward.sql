-- Forwarding to the provincial 好差评 system (issue 6). Times here are Unix ms (INTEGER): the
-- worker compares and orders them on every poll. No personal data is stored in these tables:
-- applicant fields are read from the session and decrypted only when a record is sent.

-- One row per rating × case number. Idempotency: (rating_id, project_no) here; the province's
-- key is (project_no, assess_number). state: pending | in-flight | delivered | dead.
CREATE TABLE forward_outbox (
  seq INTEGER PRIMARY KEY,
  rating_id TEXT NOT NULL,
  project_no TEXT NOT NULL,
  assess_number INTEGER NOT NULL,
  session_id TEXT,
  source TEXT NOT NULL,
  context TEXT NOT NULL,
  overrides TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'in-flight', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  delivered_ms INTEGER,
  result TEXT CHECK (result IN ('accepted', 'duplicate')),
  last_code TEXT,
  last_error TEXT,
  UNIQUE (rating_id, project_no)
);
CREATE INDEX forward_outbox_due ON forward_outbox(next_attempt_ms, seq) WHERE state = 'pending';
CREATE INDEX forward_outbox_open ON forward_outbox(created_ms) WHERE state IN ('pending', 'in-flight');
CREATE INDEX forward_outbox_case ON forward_outbox(project_no, assess_number);

-- Permanent rejections with the province's reason. state: open | retried | discarded.
CREATE TABLE forward_dead_letters (
  id INTEGER PRIMARY KEY,
  outbox_seq INTEGER NOT NULL REFERENCES forward_outbox(seq),
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  died_ms INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'retried', 'discarded')),
  resolved_ms INTEGER,
  resolved_by TEXT,
  note TEXT
);
CREATE UNIQUE INDEX forward_dead_open ON forward_dead_letters(outbox_seq) WHERE state = 'open';
CREATE INDEX forward_dead_state ON forward_dead_letters(state, id);

-- 差评 indicator lists as fetched, every version kept; the newest row is current.
CREATE TABLE forward_indicator_lists (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  list TEXT NOT NULL,
  fetched_ms INTEGER NOT NULL
);
