/** Case fixtures: a stored rating row plus its case, opened the way any ingest path opens it. */
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '@hcp/protocol';
import type { Hub } from '../../src/hub.js';

export interface SeedRating {
  readonly level?: number;
  readonly windowId?: string;
  readonly staffId?: string | null;
  readonly sessionId?: string | null;
  /** Stored at (default: the hub clock's now). */
  readonly at?: number;
  readonly text?: string;
  readonly indicators?: string[];
}

/** Inserts a rating row and opens its case in one transaction; returns the case id (null for 3–5). */
export function seedCase(hub: Hub, o: SeedRating = {}): string | null {
  const s = hub.services;
  const at = new Date(o.at ?? s.clock.now()).toISOString();
  const id = uuidv7(Date.parse(at), (b) => randomBytes(b.length));
  const windowId = o.windowId ?? 'w-01';
  const level = o.level ?? 1;
  const body = {
    v: 1, id, hallId: hub.config.hallId, deviceId: 'dev-fixture', windowId, sessionId: o.sessionId ?? null, caseNumbers: ['330100-2026-000123'],
    staffId: o.staffId === undefined ? 'staff-007' : o.staffId, itemCode: '330100-000-XK-001', level, indicators: o.indicators ?? ['501'],
    channel: 5, assessNumber: 1, ...(o.text ? { text: o.text } : {}),
  };
  const after: (() => unknown)[] = [];
  const caseId = s.db.transaction(() => {
    s.db.prepare(`INSERT INTO ratings (id, hall_id, device_id, window_id, session_id, level, given_at, corrected_given_at, clock_trusted, boot_id, mono_ms, flags, seq, received_at, body)
      VALUES (?, ?, 'dev-fixture', ?, ?, ?, ?, NULL, 1, 'boot-f', 1, '[]', 1, ?, ?)`).run(id, hub.config.hallId, windowId, body.sessionId, level, at, at, JSON.stringify(body));
    const r = s.cases.openForRating(s.db, { ratingId: id, hallId: hub.config.hallId, windowId, staffId: body.staffId, sessionId: body.sessionId, level, storedAt: at }, (fn) => after.push(fn));
    return r?.caseId ?? null;
  })();
  for (const fn of after) void fn();
  return caseId;
}
