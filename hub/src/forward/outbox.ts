/**
 * The durable forward outbox: one row per rating × case number, written in the same transaction
 * that stores the rating (`enqueueForward`), drained by the delivery worker. Nothing is held in
 * memory: a row is `pending` → `in-flight` (claimed for one request) → `delivered` | `dead`, and a
 * process that dies mid-request leaves `in-flight` rows that `recoverInFlight` puts back to
 * `pending` at the next start; they are resent and the province answers `duplicate`.
 * Schema: hub/src/db/migrations/100_forward.sql. No personal data is stored here.
 */
import type Database from 'better-sqlite3';
import { HcpError, type Rating } from '@hcp/protocol';
import type { CaseContext, ForwardSource } from './mapping.js';
import type { RecordOutcome } from './adapter.js';

export type Db = Database.Database;

export type OutboxState = 'pending' | 'in-flight' | 'delivered' | 'dead';

export interface OutboxRow {
  readonly seq: number;
  readonly ratingId: string;
  readonly projectNo: string;
  readonly assessNumber: number;
  readonly sessionId: string | null;
  /** parsed on first use: the fast path never needs them */
  readonly source: ForwardSource;
  readonly context: CaseContext;
  /** the non-personal record JSON without projectNo, and the profile fingerprint it was made with */
  readonly template: string | null;
  readonly templateProfile: string | null;
  readonly overrides: Readonly<Record<string, string>>;
  readonly attempts: number;
  readonly createdMs: number;
}

/** A record template made at enqueue time (mapping.ts recordTemplate + profileFingerprint). */
export interface Premapped {
  readonly template: string | null;
  readonly fingerprint: string;
}

/** What the worker decided for one claimed row. */
export type RowResult =
  | { readonly seq: number; readonly kind: 'delivered'; readonly result: 'accepted' | 'duplicate' }
  | { readonly seq: number; readonly kind: 'dead'; readonly code: string; readonly reason: string }
  | { readonly seq: number; readonly kind: 'retry'; readonly code: string; readonly reason: string; readonly atMs: number };

export interface OutboxStats {
  /** rows not yet delivered nor dead (pending + in-flight) */
  readonly backlog: number;
  readonly inFlight: number;
  /** age of the oldest row in the backlog, seconds; 0 when empty */
  readonly oldestAgeS: number;
  readonly delivered: number;
  readonly deadOpen: number;
}

export interface DeadLetter {
  readonly id: number;
  readonly seq: number;
  readonly ratingId: string;
  readonly projectNo: string;
  readonly assessNumber: number;
  readonly code: string;
  readonly reason: string;
  readonly diedMs: number;
  readonly state: 'open' | 'retried' | 'discarded';
  readonly attempts: number;
  readonly overrides: Readonly<Record<string, string>>;
  readonly resolvedBy: string | null;
  readonly resolvedMs: number | null;
  readonly note: string | null;
}

/** The audit trail the hub provides (hub/src/audit.ts `AuditLog` fits); called inside the transaction. */
export interface AuditSink {
  record(actor: string, action: string, target: string | null, detail?: unknown): void;
}

/** Fields an operator may not override: the idempotency key, and personal data (never stored here). */
export const PROTECTED_FIELDS: ReadonlySet<string> = new Set(['projectNo', 'assessNumber', 'userName', 'certKey', 'certKeyGOV', 'userPageType']);

interface RawRow {
  seq: number; rating_id: string; project_no: string; assess_number: number; session_id: string | null;
  overrides: string | null; attempts: number; created_ms: number;
}

interface Template {
  readonly record: string | null;
  readonly record_profile: string | null;
}

/** source and context are read and parsed only if asked for: the fast path never needs them. */
function toRow(r: RawRow, t: Template, load: (ratingId: string) => { source: string; context: string }): OutboxRow {
  let payload: { source: ForwardSource; context: CaseContext } | undefined;
  const get = (): { source: ForwardSource; context: CaseContext } => {
    if (!payload) {
      const p = load(r.rating_id);
      payload = { source: JSON.parse(p.source) as ForwardSource, context: JSON.parse(p.context) as CaseContext };
    }
    return payload;
  };
  return {
    seq: r.seq,
    ratingId: r.rating_id,
    projectNo: r.project_no,
    assessNumber: r.assess_number,
    sessionId: r.session_id,
    get source() {
      return get().source;
    },
    get context() {
      return get().context;
    },
    template: t.record,
    templateProfile: t.record_profile,
    overrides: r.overrides ? (JSON.parse(r.overrides) as Record<string, string>) : {},
    attempts: r.attempts,
    createdMs: r.created_ms,
  };
}

/** Only what mapping needs, so a stored row never carries fields that may later hold personal data. */
export function forwardSource(r: Rating | ForwardSource): ForwardSource {
  const s: ForwardSource = {
    id: r.id, caseNumbers: r.caseNumbers, level: r.level, indicators: r.indicators, channel: r.channel,
    assessNumber: r.assessNumber, origin: r.origin, flags: r.flags, givenAt: r.givenAt, indicatorVersion: r.indicatorVersion,
    sessionId: r.sessionId, staffId: r.staffId, itemCode: r.itemCode, hallId: r.hallId, windowId: r.windowId,
  };
  if (r.text !== undefined) s.text = r.text;
  if ('receivedAt' in r && r.receivedAt !== undefined) s.receivedAt = r.receivedAt;
  return s;
}

function prepare(db: Db) {
  return {
    insert: db.prepare(`INSERT INTO forward_outbox (rating_id, project_no, assess_number, session_id, state, attempts, next_attempt_ms, due_ms, created_ms, updated_ms)
      VALUES (@ratingId, @projectNo, @assessNumber, @sessionId, 'pending', 0, @now, @now, @now, @now) ON CONFLICT (rating_id, project_no) DO NOTHING`),
    insertPayload: db.prepare('INSERT INTO forward_payloads (rating_id, source, context, record, record_profile) VALUES (?, ?, ?, ?, ?) ON CONFLICT (rating_id) DO NOTHING'),
    payload: db.prepare('SELECT source, context FROM forward_payloads WHERE rating_id = ?'),
    template: db.prepare('SELECT record, record_profile FROM forward_payloads WHERE rating_id = ?'),
    payloadFull: db.prepare('SELECT source, context FROM forward_payloads WHERE rating_id = ?'),
    updatePayload: db.prepare('UPDATE forward_payloads SET source = @source, record = @record, record_profile = @profile WHERE rating_id = @ratingId'),
    pendingOf: db.prepare(`SELECT 1 FROM forward_outbox WHERE rating_id = ? AND due_ms IS NOT NULL AND state = 'pending' LIMIT 1`),
    // A follow-up (assessNumber 2) waits until the first rating of its case has left the queue:
    // provinces refuse a 追加 rating before the first one (E_NO_FIRST_RATING).
    // Due rows with their record template in one read; a follow-up (assessNumber 2) waits until the
    // first rating of its case has left the queue (provinces refuse a 追加 before it: E_NO_FIRST_RATING).
    // CASE, not OR: SQLite then never runs the subquery for first ratings.
    due: db.prepare(`SELECT o.seq, o.rating_id, o.project_no, o.assess_number, o.session_id, o.overrides, o.attempts, o.created_ms,
        p.record, p.record_profile
      FROM forward_outbox o JOIN forward_payloads p ON p.rating_id = o.rating_id
      WHERE o.due_ms IS NOT NULL AND o.due_ms <= @now AND o.state = 'pending'
        AND CASE WHEN o.assess_number = 1 THEN 1
          ELSE NOT EXISTS (SELECT 1 FROM forward_outbox f WHERE f.project_no = o.project_no AND f.assess_number = 1 AND f.state IN ('pending', 'in-flight')) END
      ORDER BY o.due_ms, o.seq LIMIT @limit`),
    take: db.prepare(`UPDATE forward_outbox SET state = 'in-flight', updated_ms = @now WHERE seq IN (SELECT value FROM json_each(@seqs)) AND state = 'pending'`),
    deliveredMany: db.prepare(`UPDATE forward_outbox SET state = 'delivered', due_ms = NULL, result = @result, attempts = attempts + 1, delivered_ms = @now, updated_ms = @now, last_code = NULL, last_error = NULL
      WHERE seq IN (SELECT value FROM json_each(@seqs)) AND state = 'in-flight'`),
    dead: db.prepare(`UPDATE forward_outbox SET state = 'dead', due_ms = NULL, attempts = attempts + 1, last_code = ?, last_error = ?, updated_ms = ? WHERE seq = ? AND state = 'in-flight'`),
    deadLetter: db.prepare(`INSERT INTO forward_dead_letters (outbox_seq, code, reason, died_ms, state) VALUES (?, ?, ?, ?, 'open')`),
    retry: db.prepare(`UPDATE forward_outbox SET state = 'pending', attempts = attempts + 1, next_attempt_ms = @at, due_ms = @at, last_code = @code, last_error = @reason, updated_ms = @now WHERE seq = @seq AND state = 'in-flight'`),
    recover: db.prepare(`UPDATE forward_outbox SET state = 'pending', updated_ms = ? WHERE state = 'in-flight'`),
    // backlog and oldest from the open-row index; in-flight rows are few and sit at the queue's head
    counts: db.prepare(`SELECT
        (SELECT count(*) FROM forward_outbox WHERE due_ms IS NOT NULL) AS backlog,
        (SELECT count(*) FROM forward_outbox WHERE due_ms IS NOT NULL AND state = 'in-flight') AS inFlight,
        (SELECT created_ms FROM forward_outbox WHERE seq = (SELECT min(seq) FROM forward_outbox WHERE due_ms IS NOT NULL)) AS oldest,
        (SELECT count(*) FROM forward_outbox WHERE state = 'delivered') AS delivered,
        (SELECT count(*) FROM forward_dead_letters WHERE state = 'open') AS deadOpen`),
    nextDue: db.prepare(`SELECT due_ms AS at FROM forward_outbox WHERE due_ms IS NOT NULL AND state = 'pending' ORDER BY due_ms LIMIT 1`),
    listDead: db.prepare(`SELECT d.id, d.outbox_seq AS seq, o.rating_id AS ratingId, o.project_no AS projectNo, o.assess_number AS assessNumber,
        d.code, d.reason, d.died_ms AS diedMs, d.state, o.attempts, o.overrides, d.resolved_by AS resolvedBy, d.resolved_ms AS resolvedMs, d.note
      FROM forward_dead_letters d JOIN forward_outbox o ON o.seq = d.outbox_seq
      WHERE (? IS NULL OR d.state = ?) AND d.id < ? ORDER BY d.id DESC LIMIT ?`),
    getDead: db.prepare(`SELECT d.id, d.outbox_seq AS seq, o.rating_id AS ratingId, o.project_no AS projectNo, o.assess_number AS assessNumber,
        d.code, d.reason, d.died_ms AS diedMs, d.state, o.attempts, o.overrides, d.resolved_by AS resolvedBy, d.resolved_ms AS resolvedMs, d.note
      FROM forward_dead_letters d JOIN forward_outbox o ON o.seq = d.outbox_seq WHERE d.id = ?`),
    resolveDead: db.prepare(`UPDATE forward_dead_letters SET state = ?, resolved_ms = ?, resolved_by = ?, note = ? WHERE id = ? AND state = 'open'`),
    revive: db.prepare(`UPDATE forward_outbox SET state = 'pending', attempts = 0, next_attempt_ms = @now, due_ms = @now, overrides = @overrides, updated_ms = @now, last_code = NULL, last_error = NULL WHERE seq = @seq AND state = 'dead'`),
    getRow: db.prepare(`SELECT seq, rating_id, project_no, assess_number, session_id, overrides, attempts, created_ms FROM forward_outbox WHERE seq = ?`),
    hasCase: db.prepare(`SELECT 1 FROM forward_outbox WHERE project_no = ? AND assess_number = 1 LIMIT 1`),
  };
}

type Statements = ReturnType<typeof prepare>;
const cache = new WeakMap<Db, Statements>();
/** Statements are prepared once per connection (better-sqlite3 performance guidance). */
function statements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = prepare(db);
    cache.set(db, s);
  }
  return s;
}

/**
 * Adds the forward records of a stored rating: one row per case number. Call it INSIDE the
 * transaction that stores the rating (it never opens one itself, never awaits). Idempotent:
 * a rating enqueued twice adds nothing the second time. Returns the rows added.
 * A rating without case numbers (walk-up) has nothing a province could key it by: 0 rows.
 */
export function enqueueForward(db: Db, rating: Rating | ForwardSource, context: CaseContext, nowMs: number, premapped?: Premapped): number {
  const s = statements(db);
  if (rating.caseNumbers.length === 0) return 0;
  s.insertPayload.run(rating.id, JSON.stringify(forwardSource(rating)), JSON.stringify(context), premapped?.template ?? null, premapped ? premapped.fingerprint : null);
  let added = 0;
  for (const projectNo of rating.caseNumbers) {
    added += s.insert.run({ ratingId: rating.id, projectNo, assessNumber: rating.assessNumber, sessionId: rating.sessionId, now: nowMs }).changes;
  }
  return added;
}

export class ForwardOutbox {
  private readonly s: Statements;

  constructor(readonly db: Db) {
    this.s = statements(db);
  }

  enqueue(rating: Rating | ForwardSource, context: CaseContext, nowMs: number, premapped?: Premapped): number {
    return enqueueForward(this.db, rating, context, nowMs, premapped);
  }

  /**
   * The hub corrected the time of a rating made with an untrusted clock: rows not yet sent will
   * carry the corrected time (rows in flight go out with the hub's receipt time). `remap` makes
   * the new record template. Call inside the hub's correction transaction. Returns whether it applied.
   */
  correctGivenAt(ratingId: string, givenAt: string, remap: (source: ForwardSource, context: CaseContext) => Premapped | null): boolean {
    if (this.s.pendingOf.get(ratingId) === undefined) return false;
    const p = this.s.payloadFull.get(ratingId) as { source: string; context: string } | undefined;
    if (!p) return false;
    const source = JSON.parse(p.source) as ForwardSource;
    const flags = source.flags.includes('clock-corrected') ? source.flags : [...source.flags, 'clock-corrected' as const];
    const fixed: ForwardSource = { ...source, givenAt, flags };
    const t = remap(fixed, JSON.parse(p.context) as CaseContext);
    this.s.updatePayload.run({ ratingId, source: JSON.stringify(fixed), record: t?.template ?? null, profile: t?.fingerprint ?? null });
    return true;
  }

  /** Whether a first rating for this case is already queued or sent (default ratings check this). */
  hasCase(projectNo: string): boolean {
    return this.s.hasCase.get(projectNo) !== undefined;
  }

  /** Back to `pending` whatever a dead process left `in-flight`; they are resent (the province answers duplicate). */
  recoverInFlight(nowMs: number): number {
    return this.s.recover.run(nowMs).changes;
  }

  /** Claims up to `limit` due rows for one request. */
  claim(limit: number, nowMs: number): OutboxRow[] {
    return this.relaxed(this.db.transaction(() => {
      const rows = this.s.due.all({ now: nowMs, limit }) as (RawRow & Template)[];
      if (rows.length) this.s.take.run({ now: nowMs, seqs: JSON.stringify(rows.map((r) => r.seq)) });
      return rows.map((r) => toRow(r, r, this.loadPayload));
    }));
  }

  private readonly loadPayload = (ratingId: string): { source: string; context: string } => {
    const p = this.s.payload.get(ratingId) as { source: string; context: string } | undefined;
    if (!p) throw new HcpError('HCP_INTERNAL', { what: 'forward payload missing', ratingId });
    return p;
  };

  /** Records the outcome of a request for each claimed row, in one transaction. */
  complete(results: readonly RowResult[], nowMs: number): void {
    const accepted: number[] = [];
    const duplicate: number[] = [];
    for (const r of results) if (r.kind === 'delivered') (r.result === 'accepted' ? accepted : duplicate).push(r.seq);
    this.relaxed(this.db.transaction(() => {
      if (accepted.length) this.s.deliveredMany.run({ result: 'accepted', now: nowMs, seqs: JSON.stringify(accepted) });
      if (duplicate.length) this.s.deliveredMany.run({ result: 'duplicate', now: nowMs, seqs: JSON.stringify(duplicate) });
      for (const r of results) {
        if (r.kind === 'delivered') continue;
        if (r.kind === 'dead') {
          if (this.s.dead.run(r.code, r.reason, nowMs, r.seq).changes === 1) this.s.deadLetter.run(r.seq, r.code, r.reason, nowMs);
        } else this.s.retry.run({ at: r.atMs, code: r.code, reason: r.reason, now: nowMs, seq: r.seq });
      }
    }));
  }

  /**
   * Runs a write with synchronous=NORMAL instead of the hub's FULL, then restores it. Safe here
   * because the forward bookkeeping needs consistency, not durability: WAL + NORMAL never corrupts,
   * and a claim or outcome lost to a power cut only means the record is sent again, which the
   * province answers `duplicate` (or rejects again). The rating itself and its outbox rows are
   * written by the ingest transaction under FULL. No await can run in between (synchronous code).
   */
  private relaxed<T>(fn: () => T): T {
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    if (before <= 1) return fn();
    this.db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
    }
  }

  stats(nowMs: number): OutboxStats {
    const c = this.s.counts.get() as { backlog: number; inFlight: number; oldest: number | null; delivered: number; deadOpen: number };
    return {
      backlog: c.backlog,
      inFlight: c.inFlight,
      oldestAgeS: c.oldest === null ? 0 : Math.max(0, Math.floor((nowMs - c.oldest) / 1000)),
      delivered: c.delivered,
      deadOpen: c.deadOpen,
    };
  }

  /** Earliest time a pending row becomes due, or null. */
  nextDueMs(): number | null {
    return (this.s.nextDue.get() as { at: number } | undefined)?.at ?? null;
  }

  row(seq: number): OutboxRow | null {
    const r = this.s.getRow.get(seq) as RawRow | undefined;
    if (!r) return null;
    const t = this.s.template.get(r.rating_id) as Template | undefined;
    return toRow(r, t ?? { record: null, record_profile: null }, this.loadPayload);
  }

  deadLetters(opts: { state?: DeadLetter['state'] | undefined; limit?: number; beforeId?: number | undefined } = {}): DeadLetter[] {
    const st = opts.state ?? null;
    return (this.s.listDead.all(st, st, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 100) as (Omit<DeadLetter, 'overrides'> & { overrides: string | null })[])
      .map((d) => ({ ...d, overrides: d.overrides ? (JSON.parse(d.overrides) as Record<string, string>) : {} }));
  }

  deadLetter(id: number): DeadLetter | null {
    const d = this.s.getDead.get(id) as (Omit<DeadLetter, 'overrides'> & { overrides: string | null }) | undefined;
    return d ? { ...d, overrides: d.overrides ? (JSON.parse(d.overrides) as Record<string, string>) : {} } : null;
  }

  /**
   * Operator: correct (field overrides, merged over earlier ones; '' removes a field's override)
   * and send again. Audited in the same transaction. HCP_NOT_FOUND / HCP_CONFLICT (not open) /
   * HCP_VALIDATION (protected field).
   */
  retryDead(id: number, actor: string, audit: AuditSink, nowMs: number, corrections: Readonly<Record<string, string>> = {}, note?: string): DeadLetter {
    const bad = Object.keys(corrections).filter((k) => PROTECTED_FIELDS.has(k) || !/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(k));
    if (bad.length) throw new HcpError('HCP_VALIDATION', { errors: bad.map((field) => ({ field: `/corrections/${field}`, rule: 'may not be overridden' })) });
    return this.db.transaction(() => {
      const d = this.deadLetter(id);
      if (!d) throw new HcpError('HCP_NOT_FOUND', { what: 'dead letter', id });
      if (d.state !== 'open') throw new HcpError('HCP_CONFLICT', { what: 'dead letter', id, state: d.state });
      const merged: Record<string, string> = { ...d.overrides };
      for (const [k, v] of Object.entries(corrections)) {
        if (v === '') delete merged[k];
        else merged[k] = v;
      }
      this.s.resolveDead.run('retried', nowMs, actor, note ?? null, id);
      this.s.revive.run({ now: nowMs, overrides: Object.keys(merged).length ? JSON.stringify(merged) : null, seq: d.seq });
      audit.record(actor, 'forward.dead-letter.retry', `forward_outbox:${d.seq}`, { deadLetterId: id, projectNo: d.projectNo, code: d.code, corrections, note });
      return this.deadLetter(id)!;
    })();
  }

  /** Operator: give up on a record (it stays on file, `dead`). Audited. */
  discardDead(id: number, actor: string, audit: AuditSink, nowMs: number, note: string): DeadLetter {
    return this.db.transaction(() => {
      const d = this.deadLetter(id);
      if (!d) throw new HcpError('HCP_NOT_FOUND', { what: 'dead letter', id });
      if (d.state !== 'open') throw new HcpError('HCP_CONFLICT', { what: 'dead letter', id, state: d.state });
      this.s.resolveDead.run('discarded', nowMs, actor, note, id);
      audit.record(actor, 'forward.dead-letter.discard', `forward_outbox:${d.seq}`, { deadLetterId: id, projectNo: d.projectNo, code: d.code, note });
      return this.deadLetter(id)!;
    })();
  }
}

/** Maps adapter outcomes onto row results (retry time from the injected backoff). */
export function toRowResult(
  seq: number,
  outcome: RecordOutcome,
  attemptsSoFar: number,
  maxAttempts: number | null,
  retryAt: (attempt: number) => number,
): RowResult {
  switch (outcome.kind) {
    case 'accepted':
    case 'duplicate':
      return { seq, kind: 'delivered', result: outcome.kind };
    case 'rejected':
      return { seq, kind: 'dead', code: outcome.code, reason: outcome.reason };
    case 'retryable': {
      const attempt = attemptsSoFar + 1;
      if (maxAttempts !== null && attempt >= maxAttempts) {
        return { seq, kind: 'dead', code: outcome.code, reason: `gave up after ${attempt} attempts: ${outcome.reason}` };
      }
      return { seq, kind: 'retry', code: outcome.code, reason: outcome.reason, atMs: retryAt(attempt) };
    }
  }
}
