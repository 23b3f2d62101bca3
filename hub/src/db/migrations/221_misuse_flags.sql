-- Misuse flags (hub/src/misuse, docs/misuse.md). A flag points at a stored rating and never
-- changes or hides it; an operator acknowledges a flag (audited), which is all that ever changes.
CREATE TABLE misuse_flags (
  id INTEGER PRIMARY KEY,
  -- top-burst | off-hours | walk-up | fast-after-open | staff-key-burst
  rule TEXT NOT NULL,
  rating_id TEXT NOT NULL,
  hall_id TEXT NOT NULL,
  window_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  staff_id TEXT,
  level INTEGER NOT NULL,
  origin TEXT NOT NULL,
  -- the rating's effective time (corrected when the device clock was corrected)
  given_at TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  detail TEXT,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged')),
  ack_by TEXT,
  ack_at TEXT,
  ack_note TEXT,
  UNIQUE (rule, rating_id)
);
CREATE INDEX misuse_flags_state ON misuse_flags (state, id);
CREATE INDEX misuse_flags_rating ON misuse_flags (rating_id);

-- The few ratings the counting rules look back at, with their time as epoch ms (device givenAt
-- strings may carry any zone offset, so they do not compare as text): level-5 first ratings per
-- window (kind 'top') and staff-key ratings per device (kind 'staff-key').
CREATE TABLE misuse_marks (
  rating_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, rating_id)
);
CREATE INDEX misuse_marks_scope ON misuse_marks (kind, scope, at_ms);
