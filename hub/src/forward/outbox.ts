/**
 * The durable forward outbox: one row per rating × case number, written in the same transaction
 * that stores the rating (`enqueueForward`), drained by the delivery worker. A row is open
 * (`pending`, `due_ms` set) until it is `delivered` or `dead`. While a request for it is under way
 * the row is leased to that request in memory only (`claim` → `complete`): a lease needs no
 * durability, because a process that dies mid-request leaves its rows open and the next start
 * sends them again, which the province answers `duplicate` (counted as delivered). So a claim is
 * one read, and each record costs one row write, when its outcome is recorded (migration 105).
 * One worker per database: leases are not shared between processes.
 * Schema: hub/src/db/migrations/100–105. No personal data is stored here.
 */
import type Database from 'better-sqlite3';
import { HcpError, type Rating } from '@hcp/protocol';
import type { CaseContext, ForwardSource } from './mapping.js';
import type { RecordOutcome } from './adapter.js';

export type Db = Database.Database;

/** `in-flight` was written by releases before migration 105 (leases now live in memory). */
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
  /** rows not yet delivered nor dead (including those in a request now) */
  readonly backlog: number;
  /** rows leased to requests under way in this process */
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

/** A `due` row in raw (array) mode: better-sqlite3 builds no object per row. Order = the SELECT's. */
type DueRow = [seq: number, ratingId: string, projectNo: string, assessNumber: number, sessionId: string | null,
  overrides: string | null, attempts: number, createdMs: number, record: string | null, recordProfile: string | null];

type LoadPayload = (ratingId: string) => { source: string; context: string };
const NO_OVERRIDES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * An outbox row as the worker sees it. A class, not an object literal with closures: a claim makes
 * hundreds per batch. source and context are read and parsed only if asked for (the fast path
 * sends the record template and never needs them).
 */
class Row implements OutboxRow {
  private payload: { source: ForwardSource; context: CaseContext } | undefined;
  readonly overrides: Readonly<Record<string, string>>;

  constructor(
    readonly seq: number,
    readonly ratingId: string,
    readonly projectNo: string,
    readonly assessNumber: number,
    readonly sessionId: string | null,
    overrides: string | null,
    readonly attempts: number,
    readonly createdMs: number,
    readonly template: string | null,
    readonly templateProfile: string | null,
    private readonly load: LoadPayload,
  ) {
    this.overrides = overrides ? (JSON.parse(overrides) as Record<string, string>) : NO_OVERRIDES;
  }

  get source(): ForwardSource {
    return this.parsed().source;
  }

  get context(): CaseContext {
    return this.parsed().context;
  }

  private parsed(): { source: ForwardSource; context: CaseContext } {
    if (!this.payload) {
      const p = this.load(this.ratingId);
      this.payload = { source: JSON.parse(p.source) as ForwardSource, context: JSON.parse(p.context) as CaseContext };
    }
    return this.payload;
  }
}

const dueToRow = (d: DueRow, load: LoadPayload): OutboxRow => new Row(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], load);

function toRow(r: RawRow, t: Template, load: LoadPayload): OutboxRow {
  return new Row(r.seq, r.rating_id, r.project_no, r.assess_number, r.session_id, r.overrides, r.attempts, r.created_ms, t.record, t.record_profile, load);
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
    insert: db.prepare(`INSERT INTO forward_outbox (rating_id, payload_id, project_no, assess_number, session_id, state, attempts, next_attempt_ms, due_ms, created_ms, updated_ms)
      VALUES (@ratingId, @payloadId, @projectNo, @assessNumber, @sessionId, 'pending', 0, @now, @now, @now, @now) ON CONFLICT (rating_id, project_no) DO NOTHING`),
    insertPayload: db.prepare('INSERT INTO forward_payloads (rating_id, source, context, record, record_profile) VALUES (?, ?, ?, ?, ?) ON CONFLICT (rating_id) DO NOTHING'),
    payloadId: db.prepare('SELECT id FROM forward_payloads WHERE rating_id = ?').pluck(),
    payload: db.prepare('SELECT source, context FROM forward_payloads WHERE rating_id = ?'),
    template: db.prepare('SELECT record, record_profile FROM forward_payloads WHERE rating_id = ?'),
    updatePayload: db.prepare('UPDATE forward_payloads SET source = @source, record = @record, record_profile = @profile WHERE rating_id = @ratingId'),
    openOf: db.prepare(`SELECT seq FROM forward_outbox WHERE rating_id = ? AND due_ms IS NOT NULL`).pluck(),
    // Due rows not leased now, with their record template, in one read (raw arrays: see DueRow).
    // `due_ms IS NOT NULL` is "open" (pending, or leased in memory). A follow-up (assessNumber 2)
    // waits until the first rating of its case has left the queue: provinces refuse a 追加 rating
    // before the first one (E_NO_FIRST_RATING). CASE, not OR: SQLite then never runs the subquery
    // for first ratings. LEFT JOIN: a row without a payload id still comes out (slow path by rating_id).
    due: db.prepare(`SELECT o.seq, o.rating_id, o.project_no, o.assess_number, o.session_id, o.overrides, o.attempts, o.created_ms,
        p.record, p.record_profile
      FROM forward_outbox o LEFT JOIN forward_payloads p ON p.id = o.payload_id
      WHERE o.due_ms IS NOT NULL AND o.due_ms <= @now
        AND o.seq NOT IN (SELECT value FROM json_each(@leased))
        AND CASE WHEN o.assess_number = 1 THEN 1
          ELSE NOT EXISTS (SELECT 1 FROM forward_outbox f WHERE f.project_no = o.project_no AND f.assess_number = 1 AND f.due_ms IS NOT NULL) END
      ORDER BY o.due_ms, o.seq LIMIT @limit`).raw(true),
    deliveredMany: db.prepare(`UPDATE forward_outbox SET state = 'delivered', due_ms = NULL, result = @result, attempts = attempts + 1, delivered_ms = @now, updated_ms = @now, last_code = NULL, last_error = NULL
      WHERE seq IN (SELECT value FROM json_each(@seqs)) AND due_ms IS NOT NULL`),
    dead: db.prepare(`UPDATE forward_outbox SET state = 'dead', due_ms = NULL, attempts = attempts + 1, last_code = ?, last_error = ?, updated_ms = ? WHERE seq = ? AND due_ms IS NOT NULL`),
    deadLetter: db.prepare(`INSERT INTO forward_dead_letters (outbox_seq, code, reason, died_ms, state) VALUES (?, ?, ?, ?, 'open')`),
    retry: db.prepare(`UPDATE forward_outbox SET state = 'pending', attempts = attempts + 1, next_attempt_ms = @at, due_ms = @at, last_code = @code, last_error = @reason, updated_ms = @now WHERE seq = @seq AND due_ms IS NOT NULL`),
    // backlog and oldest from the open-row indexes (forward_outbox_queue, forward_outbox_open_seq)
    backlog: db.prepare(`SELECT
        (SELECT count(*) FROM forward_outbox WHERE due_ms IS NOT NULL) AS backlog,
        (SELECT created_ms FROM forward_outbox WHERE seq = (SELECT min(seq) FROM forward_outbox WHERE due_ms IS NOT NULL)) AS oldest,
        (SELECT count(*) FROM forward_dead_letters WHERE state = 'open') AS deadOpen`),
    // a full scan (no index on state, which would cost every delivery an index write): status views only
    delivered: db.prepare(`SELECT count(*) FROM forward_outbox WHERE state = 'delivered'`).pluck(),
    nextDue: db.prepare(`SELECT due_ms FROM forward_outbox WHERE due_ms IS NOT NULL AND seq NOT IN (SELECT value FROM json_each(?)) ORDER BY due_ms LIMIT 1`).pluck(),
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
    // prepared once: db.pragma() prepares its statement on every call
    synchronous: db.prepare('PRAGMA synchronous').pluck(),
    setSynchronous: [0, 1, 2, 3].map((n) => db.prepare(`PRAGMA synchronous = ${n}`)),
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
  const p = s.insertPayload.run(rating.id, JSON.stringify(forwardSource(rating)), JSON.stringify(context), premapped?.template ?? null, premapped ? premapped.fingerprint : null);
  const payloadId = p.changes === 1 ? p.lastInsertRowid : (s.payloadId.get(rating.id) as number);
  let added = 0;
  for (const projectNo of rating.caseNumbers) {
    added += s.insert.run({ ratingId: rating.id, payloadId, projectNo, assessNumber: rating.assessNumber, sessionId: rating.sessionId, now: nowMs }).changes;
  }
  return added;
}

export class ForwardOutbox {
  private readonly s: Statements;
  /** seqs claimed by requests under way (see the file comment: leases live in memory only) */
  private readonly leased = new Set<number>();

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
    if (!(this.s.openOf.all(ratingId) as number[]).some((seq) => !this.leased.has(seq))) return false;
    const p = this.s.payload.get(ratingId) as { source: string; context: string } | undefined;
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

  /**
   * Drops every lease (a worker starting afresh). Rows a dead process was sending are open in the
   * database already and need nothing: they are sent again and the province answers duplicate.
   * Returns the leases dropped.
   */
  recoverInFlight(_nowMs: number): number {
    const n = this.leased.size;
    this.leased.clear();
    return n;
  }

  /**
   * Claims up to `limit` due rows for one request: one read, no write. The rows stay leased to the
   * caller until `complete` (or `release`) names them; other claims skip them meanwhile.
   */
  claim(limit: number, nowMs: number): OutboxRow[] {
    const rows = this.s.due.all({ now: nowMs, limit, leased: this.leasedJson() }) as DueRow[];
    const out = new Array<OutboxRow>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const d = rows[i]!;
      this.leased.add(d[0]);
      out[i] = dueToRow(d, this.loadPayload);
    }
    return out;
  }

  /** Ends leases without recording anything (the caller failed before it had outcomes): the rows are due again. */
  release(seqs: Iterable<number>): void {
    for (const seq of seqs) this.leased.delete(seq);
  }

  private leasedJson(): string {
    return this.leased.size === 0 ? '[]' : JSON.stringify([...this.leased]);
  }

  private readonly loadPayload = (ratingId: string): { source: string; context: string } => {
    const p = this.s.payload.get(ratingId) as { source: string; context: string } | undefined;
    if (!p) throw new HcpError('HCP_INTERNAL', { what: 'forward payload missing', ratingId });
    return p;
  };

  /**
   * Records the outcome of a request for each claimed row, in one transaction (delivered rows: one
   * statement per result kind), and ends their leases, also when the write fails (the rows are
   * then still open and are sent again).
   */
  complete(results: readonly RowResult[], nowMs: number): void {
    const accepted: number[] = [];
    const duplicate: number[] = [];
    for (const r of results) if (r.kind === 'delivered') (r.result === 'accepted' ? accepted : duplicate).push(r.seq);
    try {
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
    } finally {
      for (const r of results) this.leased.delete(r.seq);
    }
  }

  /**
   * Runs a write with synchronous=NORMAL instead of the hub's FULL, then restores it. Safe here
   * because the forward bookkeeping needs consistency, not durability: WAL + NORMAL never corrupts,
   * and an outcome lost to a power cut only means the record is sent again, which the province
   * answers `duplicate` (or rejects again). The rating itself and its outbox rows are
   * written by the ingest transaction under FULL. No await can run in between (synchronous code).
   */
  private relaxed<T>(fn: () => T): T {
    const before = this.s.synchronous.get() as number;
    if (before <= 1) return fn();
    this.s.setSynchronous[1]!.run();
    try {
      return fn();
    } finally {
      this.s.setSynchronous[before]!.run();
    }
  }

  stats(nowMs: number): OutboxStats {
    return { ...this.backlog(nowMs), delivered: this.s.delivered.get() as number };
  }

  /** stats() without the delivered count, which needs a full scan: for gauges and polling. */
  backlog(nowMs: number): Omit<OutboxStats, 'delivered'> {
    const c = this.s.backlog.get() as { backlog: number; oldest: number | null; deadOpen: number };
    return {
      backlog: c.backlog,
      inFlight: this.leased.size,
      oldestAgeS: c.oldest === null ? 0 : Math.max(0, Math.floor((nowMs - c.oldest) / 1000)),
      deadOpen: c.deadOpen,
    };
  }

  /** Earliest due time of an open row not leased now, or null. */
  nextDueMs(): number | null {
    return (this.s.nextDue.get(this.leasedJson()) as number | undefined) ?? null;
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
