/**
 * Readers of the hub core's tables (hub/src/db/migrations/001_core.sql: sessions, staff, devices)
 * that forwarding needs: case context for a stored rating, sessions served but not rated, active
 * devices. Kept here so the rest of forward/ depends only on small interfaces.
 */
import type { Db } from './outbox.js';
import type { CaseContext } from './mapping.js';

interface SessionRow {
  id: string; window_id: string; case_numbers: string; item_code: string; item_name: string; staff_id: string;
  served_at: string | null; case_status: string | null; promise_kind: string | null; opened_at: string; staff_name: string | null;
}

const contextOf = (s: SessionRow): CaseContext => ({
  itemCode: s.item_code,
  itemName: s.item_name,
  caseStatus: (s.case_status ?? undefined) as CaseContext['caseStatus'],
  promiseKind: (s.promise_kind ?? undefined) as CaseContext['promiseKind'],
  staffName: s.staff_name ?? undefined,
  // 收件时间 = the service time; a session opened when the citizen was at the window.
  acceptedAt: s.served_at ?? s.opened_at,
});

const SESSION_SQL = `SELECT s.id, s.window_id, s.case_numbers, s.item_code, s.item_name, s.staff_id, s.served_at, s.case_status, s.promise_kind, s.opened_at,
  st.name AS staff_name FROM sessions s LEFT JOIN staff st ON st.id = s.staff_id`;

/** Case context of a rating from its session (non-personal), or staff name only without a session. */
export function sessionContextSource(db: Db): (rating: { sessionId: string | null; staffId: string | null }) => CaseContext {
  const bySession = db.prepare(`${SESSION_SQL} WHERE s.id = ?`);
  const staff = db.prepare('SELECT name FROM staff WHERE id = ?');
  return (rating) => {
    const s = rating.sessionId ? (bySession.get(rating.sessionId) as SessionRow | undefined) : undefined;
    if (s) return contextOf(s);
    const st = rating.staffId ? (staff.get(rating.staffId) as { name: string } | undefined) : undefined;
    return st ? { staffName: st.name } : {};
  };
}

export interface UnratedSession {
  readonly id: string;
  readonly windowId: string;
  readonly caseNumbers: readonly string[];
  readonly itemCode: string;
  readonly staffId: string;
  /** service time, epoch ms */
  readonly servedMs: number;
  readonly context: CaseContext;
}

/** Sessions served but not rated, not decided on yet, served before the cutoff; oldest first. */
export interface UnratedSessionSource {
  candidates(servedBeforeMs: number, limit: number): UnratedSession[];
}

export function hubUnratedSessions(db: Db): UnratedSessionSource {
  const q = db.prepare(`${SESSION_SQL}
    WHERE s.outcome <> 'rated' AND coalesce(s.served_at, s.opened_at) < ?
      AND NOT EXISTS (SELECT 1 FROM forward_default_decisions d WHERE d.session_id = s.id)
    ORDER BY coalesce(s.served_at, s.opened_at) LIMIT ?`);
  return {
    candidates: (before, limit) => (q.all(new Date(before).toISOString(), limit) as SessionRow[]).map((s) => ({
      id: s.id,
      windowId: s.window_id,
      caseNumbers: JSON.parse(s.case_numbers) as string[],
      itemCode: s.item_code,
      staffId: s.staff_id,
      servedMs: Date.parse(s.served_at ?? s.opened_at),
      context: contextOf(s),
    })),
  };
}

/** Active devices of a hall, to push the indicator list to. */
export function hubActiveDevices(db: Db): (hallId: string) => string[] {
  const q = db.prepare(`SELECT id FROM devices WHERE hall_id = ? AND state = 'active' ORDER BY id`);
  return (hallId) => (q.all(hallId) as { id: string }[]).map((r) => r.id);
}

/** The corrected time the hub stored for a rating made with an untrusted clock (ratings.corrected_given_at). */
export function hubCorrectedGivenAt(db: Db): (ratingId: string) => string | null {
  const q = db.prepare('SELECT corrected_given_at AS c FROM ratings WHERE id = ?');
  return (id) => (q.get(id) as { c: string | null } | undefined)?.c ?? null;
}
