-- Core hub schema (issue 4). Times are ISO 8601 UTC strings from the injected clock.
CREATE TABLE halls (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE staff (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, number TEXT NOT NULL, title TEXT, star_level INTEGER,
  photo BLOB, photo_type TEXT, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE windows (
  id TEXT PRIMARY KEY, hall_id TEXT NOT NULL REFERENCES halls(id), name TEXT NOT NULL,
  staff_id TEXT REFERENCES staff(id) ON DELETE SET NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
-- state: active | revoked. online_state: unknown | online | offline
CREATE TABLE devices (
  id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, window_id TEXT REFERENCES windows(id) ON DELETE SET NULL,
  hardware_id TEXT, model TEXT, app_version TEXT, state TEXT NOT NULL,
  mqtt_password_hash TEXT NOT NULL, signing_key_enc TEXT NOT NULL,
  created_at TEXT NOT NULL, revoked_at TEXT,
  online_state TEXT NOT NULL DEFAULT 'unknown', offline_reason TEXT, boot_id TEXT,
  last_seen_at TEXT, state_changed_at TEXT, telemetry TEXT, telemetry_at TEXT,
  backlog_rises INTEGER NOT NULL DEFAULT 0, indicators_version TEXT, settings_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_window ON devices(window_id) WHERE state = 'active';
-- state: waiting (device asked, nobody claimed) | claimed (technician assigned a window) | used | revoked
CREATE TABLE claim_codes (
  code TEXT PRIMARY KEY, state TEXT NOT NULL, window_id TEXT, hardware_id TEXT, model TEXT, app_version TEXT,
  device_id TEXT, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, claimed_by TEXT, claimed_at TEXT, used_at TEXT
);
CREATE TABLE ratings (
  id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, device_id TEXT NOT NULL, window_id TEXT NOT NULL, session_id TEXT,
  level INTEGER NOT NULL, given_at TEXT NOT NULL, corrected_given_at TEXT, clock_trusted INTEGER NOT NULL,
  boot_id TEXT NOT NULL, mono_ms INTEGER NOT NULL, flags TEXT NOT NULL, seq INTEGER NOT NULL,
  received_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX ratings_untrusted ON ratings(device_id, boot_id) WHERE clock_trusted = 0 AND corrected_given_at IS NULL;
CREATE INDEX ratings_session ON ratings(session_id);
CREATE TABLE boot_offsets (
  device_id TEXT NOT NULL, boot_id TEXT NOT NULL, offset_ms INTEGER NOT NULL, learned_at TEXT NOT NULL,
  PRIMARY KEY (device_id, boot_id)
);
-- outcome: pending | rated | timed-out | cancelled | superseded
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, window_id TEXT NOT NULL, device_id TEXT, case_numbers TEXT NOT NULL,
  item_code TEXT NOT NULL, item_name TEXT NOT NULL, staff_id TEXT NOT NULL, applicant_enc TEXT,
  served_at TEXT, case_status TEXT, promise_kind TEXT, external_ref TEXT,
  outcome TEXT NOT NULL, rating_id TEXT, opened_at TEXT NOT NULL, expires_at TEXT NOT NULL, ended_at TEXT, opened_by TEXT NOT NULL
);
CREATE INDEX sessions_pending ON sessions(window_id) WHERE outcome = 'pending';
CREATE INDEX sessions_outcome ON sessions(outcome, opened_at);
CREATE TABLE users (
  id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, role TEXT NOT NULL,
  display_name TEXT, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL
);
CREATE TABLE auth_sessions (
  token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT, detail TEXT
);
-- state: open | cleared
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
  raised_at TEXT NOT NULL, cleared_at TEXT, detail TEXT
);
CREATE UNIQUE INDEX alerts_open ON alerts(device_id, kind) WHERE state = 'open';
-- events for the configured webhook, written in the transaction that caused them
CREATE TABLE webhook_outbox (
  id INTEGER PRIMARY KEY, event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL,
  delivered_at TEXT, dead_at TEXT, last_error TEXT
);
CREATE INDEX webhook_due ON webhook_outbox(next_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE TABLE hub_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
