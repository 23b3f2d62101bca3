/**
 * 差评 follow-up (issue 7): every stored rating of level 1–2 opens a case in the transaction that
 * stores the rating; operators follow it through 回访 → 整改 → 办结 (or close it as unable, with a
 * reason) before a deadline in working days; managers extend deadlines and review appeals (复核).
 * The rules live in machine.ts; this component loads a case, asks the machine, and persists the
 * answer — row (optimistic `version`), step history, extensions, appeals, rating exclusions, audit
 * log and webhook outbox — in one transaction. Bus events run after the commit.
 *
 * Tables: bad_review_cases + rating_exclusions (migration 200, the contract with statistics),
 * case_steps + case_overdue_alerts (201), case_extensions (202), case_appeals (203).
 * A periodic check (start()/stop(), every cases.checkEveryS) raises `case.overdue` once per case
 * and deadline, and `case.review-overdue` once per appeal not decided in time.
 */
import { HcpError } from '@hcp/protocol';
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { AuditLog } from '../audit.js';
import type { EventBus } from '../events/bus.js';
import type { WebhookOutbox } from '../events/webhook.js';
import type { IngestHook } from '../inbox/ingest.js';
import { chinaDate, chinaMidnight } from '../forward/calendar.js';
import {
  CASE_STATES, OPEN_STATES, appealClosesAt, caseDueAt, isOverdue, isReviewOverdue, transition,
  type AppealStatus, type CaseAction, type CasePolicy, type CaseSnapshot, type CaseState, type DeadlineCalendar,
  type ExclusionReason, type StepKind,
} from './machine.js';

export interface CasesOptions extends CasePolicy {
  readonly checkEveryS: number;
}

/** What opening a case needs to know about a rating, whichever way it was stored (device, phone page). */
export interface RatingForCase {
  readonly ratingId: string;
  readonly hallId: string;
  readonly windowId: string;
  readonly staffId: string | null;
  readonly sessionId: string | null;
  readonly level: number;
  /** When the hub stored it: the case deadline and the appeal window count from here. */
  readonly storedAt: string;
}

/** A masked applicant, as sessions show it (never decrypted in full here). */
export interface MaskedApplicant {
  readonly name: string;
  readonly idNumber: string;
  readonly phone?: string;
}

export interface CasesDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly bus: EventBus;
  readonly webhook: WebhookOutbox;
  readonly calendar: DeadlineCalendar;
  /** The masked applicant of a session (Sessions.get(id).applicant). */
  readonly applicant: (sessionId: string) => MaskedApplicant | undefined;
  readonly options: CasesOptions;
}

type After = (fn: () => void | Promise<unknown>) => void;

export interface AppealView {
  readonly state: AppealStatus['state'];
  readonly id: string | null;
  readonly staffId: string | null;
  readonly claim: ExclusionReason | null;
  readonly grounds: string | null;
  readonly filedBy: string | null;
  readonly filedAt: string | null;
  readonly reviewDueAt: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly decisionNote: string | null;
  readonly reviewOverdue: boolean;
}

export interface CaseView {
  readonly id: string;
  readonly ratingId: string;
  readonly hallId: string;
  readonly windowId: string;
  readonly windowName: string | null;
  readonly staffId: string | null;
  readonly staffName: string | null;
  readonly sessionId: string | null;
  readonly level: number;
  readonly state: CaseState;
  readonly openedAt: string;
  readonly dueAt: string;
  readonly overdue: boolean;
  readonly contactedAt: string | null;
  readonly rectifyingAt: string | null;
  readonly closedAt: string | null;
  readonly closeReason: string | null;
  readonly updatedAt: string;
  readonly version: number;
  readonly extensions: number;
  readonly appeal: AppealView;
  readonly appealClosesAt: string;
  readonly excluded: { readonly reason: ExclusionReason; readonly decidedBy: string; readonly decidedAt: string } | null;
}

export interface CaseStepView {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly kind: StepKind;
  readonly from: CaseState;
  readonly to: CaseState;
  readonly note: string | null;
  readonly detail: unknown;
}

export interface CaseDetail extends CaseView {
  readonly rating: {
    readonly givenAt: string; readonly indicators: readonly string[]; readonly text: string | null;
    readonly channel: number | null; readonly itemCode: string | null; readonly caseNumbers: readonly string[];
  } | null;
  readonly session: { readonly itemName: string; readonly applicant: MaskedApplicant | null } | null;
  readonly steps: readonly CaseStepView[];
  readonly extensionList: readonly { readonly days: number; readonly reason: string; readonly fromDueAt: string; readonly toDueAt: string; readonly grantedBy: string; readonly grantedAt: string }[];
}

export interface CaseFilter {
  /** A state, or `open` (new/contacted/rectifying) / `closed` (done/unable). */
  readonly state?: CaseState | 'open' | 'closed';
  readonly overdue?: boolean;
  readonly windowId?: string;
  readonly staffId?: string;
  /** China calendar days (YYYY-MM-DD), inclusive, on the opening time. */
  readonly from?: string;
  readonly to?: string;
  readonly appeal?: 'pending' | 'any';
  readonly limit: number;
  readonly offset: number;
}

export interface CaseSummary {
  readonly open: number;
  readonly overdue: number;
  readonly byState: Readonly<Record<CaseState, number>>;
  readonly appealsPending: number;
  readonly reviewsOverdue: number;
}

interface CaseRow {
  id: string; rating_id: string; hall_id: string; window_id: string; staff_id: string | null; session_id: string | null; level: number;
  state: CaseState; opened_at: string; due_at: string; contacted_at: string | null; rectifying_at: string | null; closed_at: string | null;
  close_reason: string | null; updated_at: string; version: number;
  window_name: string | null; staff_name: string | null; extensions: number;
  ap_id: string | null; ap_staff_id: string | null; ap_claim: ExclusionReason | null; ap_grounds: string | null; ap_filed_by: string | null; ap_filed_at: string | null;
  ap_review_due_at: string | null; ap_state: 'pending' | 'upheld' | 'rejected' | null; ap_decided_by: string | null; ap_decided_at: string | null; ap_decision_note: string | null;
  ex_reason: ExclusionReason | null; ex_decided_by: string | null; ex_decided_at: string | null;
}

const SELECT = `SELECT c.*, w.name AS window_name, st.name AS staff_name,
    (SELECT COUNT(*) FROM case_extensions e WHERE e.case_id = c.id) AS extensions,
    a.id AS ap_id, a.staff_id AS ap_staff_id, a.claim AS ap_claim, a.grounds AS ap_grounds, a.filed_by AS ap_filed_by, a.filed_at AS ap_filed_at,
    a.review_due_at AS ap_review_due_at, a.state AS ap_state, a.decided_by AS ap_decided_by, a.decided_at AS ap_decided_at, a.decision_note AS ap_decision_note,
    x.reason AS ex_reason, x.decided_by AS ex_decided_by, x.decided_at AS ex_decided_at
  FROM bad_review_cases c
  LEFT JOIN windows w ON w.id = c.window_id
  LEFT JOIN staff st ON st.id = c.staff_id
  LEFT JOIN case_appeals a ON a.case_id = c.id
  LEFT JOIN rating_exclusions x ON x.rating_id = c.rating_id`;

const DAY_MS = 86_400_000;

export class Cases {
  private timer: NodeJS.Timeout | undefined;
  private readonly opened: (l?: Record<string, string>) => void;
  private readonly actions: (l?: Record<string, string>) => void;
  private readonly alertsRaised: (l?: Record<string, string>, by?: number) => void;

  constructor(private readonly d: CasesDeps) {
    this.opened = d.metrics.counter('hcp_hub_cases_opened_total', '差评 cases opened, by level');
    this.actions = d.metrics.counter('hcp_hub_case_actions_total', 'case actions by action and result (ok or refusal code)');
    this.alertsRaised = d.metrics.counter('hcp_hub_case_overdue_alerts_total', 'overdue alerts raised, by kind (case, review)');
    d.metrics.gauge('hcp_hub_cases_open', 'open 差评 cases by state', () => this.countOpen());
    d.metrics.gauge('hcp_hub_cases_overdue', 'open 差评 cases past their deadline', () => this.summary().overdue);
    d.metrics.gauge('hcp_hub_case_appeals_pending', 'appeals waiting for review', () => this.summary().appealsPending);
  }

  get policy(): CasePolicy {
    return this.d.options;
  }

  start(): void {
    if (this.timer) return;
    this.runCheck();
    this.timer = setInterval(() => this.runCheck(), this.d.options.checkEveryS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ingest hook (hub.onRatingStored): runs inside the transaction that stores the rating. */
  readonly onRating: IngestHook = (tx, s, after) => {
    this.openForRating(tx, {
      ratingId: s.rating.id, hallId: s.rating.hallId, windowId: s.rating.windowId, staffId: s.rating.staffId,
      sessionId: s.rating.sessionId, level: s.rating.level, storedAt: s.receivedAt,
    }, after);
  };

  /**
   * Opens the case of a 差评 inside the caller's transaction `tx` (any path that stores ratings
   * calls this in the same transaction). Ratings of level 3–5 open nothing (null). A rating that
   * already has a case returns that case's id without a second one. `after` queues the dashboard
   * event for after the commit; the webhook row is written in `tx`.
   */
  openForRating(tx: Db, r: RatingForCase, after: After): { caseId: string; dueAt: string; created: boolean } | null {
    if (r.level !== 1 && r.level !== 2) return null;
    const existing = tx.prepare('SELECT id, due_at AS dueAt FROM bad_review_cases WHERE rating_id = ?').get(r.ratingId) as { id: string; dueAt: string } | undefined;
    if (existing) return { caseId: existing.id, dueAt: existing.dueAt, created: false };
    const openedMs = Date.parse(r.storedAt);
    const dueAt = caseDueAt(openedMs, this.d.calendar, this.d.options);
    // the staff member the 差评 is about: the device names them; otherwise the session, otherwise the window's
    const staffId = r.staffId
      ?? (r.sessionId ? (tx.prepare('SELECT staff_id AS s FROM sessions WHERE id = ?').get(r.sessionId) as { s: string } | undefined)?.s : undefined)
      ?? (tx.prepare('SELECT staff_id AS s FROM windows WHERE id = ?').get(r.windowId) as { s: string | null } | undefined)?.s
      ?? null;
    const id = this.nextId(tx, openedMs);
    tx.prepare(`INSERT INTO bad_review_cases (id, rating_id, hall_id, window_id, staff_id, session_id, level, state, opened_at, due_at, updated_at, version)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, 1)`).run(id, r.ratingId, r.hallId, r.windowId, staffId, r.sessionId, r.level, r.storedAt, dueAt, r.storedAt);
    this.step(tx, id, r.storedAt, 'hub', 'opened', 'new', 'new', null, { ratingId: r.ratingId, level: r.level, dueAt });
    this.d.audit.record('hub', 'case.open', id, { ratingId: r.ratingId, level: r.level, windowId: r.windowId, staffId, dueAt });
    this.publish(tx, after, 'case.opened', r.storedAt, { caseId: id, ratingId: r.ratingId, level: r.level, windowId: r.windowId, staffId, dueAt });
    after(() => this.opened({ level: String(r.level) }));
    return { caseId: id, dueAt, created: true };
  }

  /**
   * Applies an action to a case for `actor`, if `version` is still the case's version (optimistic
   * concurrency: two operators on one case cannot overwrite each other). Throws coded HcpErrors:
   * HCP_NOT_FOUND, HCP_CASE_STALE, and the machine's refusals.
   */
  act(id: string, version: number, action: CaseAction, actor: string): CaseDetail {
    const now = this.d.clock.now();
    const at = new Date(now).toISOString();
    const after: (() => void | Promise<unknown>)[] = [];
    try {
      this.d.db.transaction(() => {
        const row = this.row(id);
        if (!row) throw new HcpError('HCP_NOT_FOUND', { caseId: id });
        if (row.version !== version) throw new HcpError('HCP_CASE_STALE', { caseId: id, version: row.version, yours: version });
        const before = snapshot(row);
        const t = transition(before, action, { now, calendar: this.d.calendar, policy: this.d.options, actor });
        if (!t.ok) throw new HcpError(t.code, t.detail, { message: t.message });
        const n = t.next;
        const res = this.d.db.prepare(`UPDATE bad_review_cases SET state = ?, due_at = ?, contacted_at = ?, rectifying_at = ?, closed_at = ?, close_reason = ?,
            updated_at = ?, version = ? WHERE id = ? AND version = ?`)
          .run(n.state, n.dueAt, n.state === 'new' ? null : n.contactedAt, n.state === 'new' || n.state === 'contacted' ? null : n.rectifyingAt,
            n.state === 'done' || n.state === 'unable' ? n.closedAt : null, n.state === 'done' || n.state === 'unable' ? n.closeReason : null,
            at, n.version, id, version);
        if (res.changes !== 1) throw new HcpError('HCP_CASE_STALE', { caseId: id, yours: version });
        const s = t.step;
        this.step(this.d.db, id, at, actor, s.kind, s.from, s.to, s.note, s.detail);
        if (action.type === 'extend') {
          this.d.db.prepare('INSERT INTO case_extensions (case_id, days, reason, from_due_at, to_due_at, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(id, action.days, s.note, before.dueAt, n.dueAt, actor, at);
        } else if (action.type === 'appeal' && n.appeal.state === 'pending') {
          this.d.db.prepare(`INSERT INTO case_appeals (id, case_id, rating_id, staff_id, claim, grounds, filed_by, filed_at, review_due_at, state)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`)
            .run(n.appeal.id, id, row.rating_id, action.staffId ?? row.staff_id, action.claim, s.note, actor, at, n.appeal.reviewDueAt);
        } else if (action.type === 'review') {
          this.d.db.prepare("UPDATE case_appeals SET state = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE case_id = ? AND state = 'pending'")
            .run(action.decision, actor, at, s.note, id);
        }
        if (t.exclude) {
          // kept on record: the rating row is untouched; statistics leave out every rating listed here
          this.d.db.prepare('INSERT INTO rating_exclusions (rating_id, reason, note, decided_by, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (rating_id) DO NOTHING')
            .run(row.rating_id, t.exclude, s.note, actor, at);
        }
        this.d.audit.record(actor, `case.${action.type}`, id, { from: s.from, to: s.to, version: n.version, ...s.detail, ...(t.exclude ? { excluded: t.exclude } : {}) });
        this.publish(this.d.db, (fn) => after.push(fn), 'case.updated', at, {
          caseId: id, action: action.type, step: s.kind, state: n.state, version: n.version, dueAt: n.dueAt, windowId: row.window_id, staffId: row.staff_id,
        });
      })();
    } catch (err) {
      this.actions({ action: action.type, result: err instanceof HcpError ? err.code : 'error' });
      throw err;
    }
    this.actions({ action: action.type, result: 'ok' });
    this.runAfter(after);
    return this.get(id)!;
  }

  get(id: string): CaseDetail | null {
    const row = this.row(id);
    if (!row) return null;
    const steps = (this.d.db.prepare('SELECT id, at, actor, kind, from_state, to_state, note, detail FROM case_steps WHERE case_id = ? ORDER BY id').all(id) as {
      id: number; at: string; actor: string; kind: StepKind; from_state: CaseState; to_state: CaseState; note: string | null; detail: string | null;
    }[]).map((s) => ({ id: s.id, at: s.at, actor: s.actor, kind: s.kind, from: s.from_state, to: s.to_state, note: s.note, detail: s.detail ? (JSON.parse(s.detail) as unknown) : null }));
    const extensionList = (this.d.db.prepare('SELECT days, reason, from_due_at, to_due_at, granted_by, granted_at FROM case_extensions WHERE case_id = ? ORDER BY id').all(id) as {
      days: number; reason: string; from_due_at: string; to_due_at: string; granted_by: string; granted_at: string;
    }[]).map((e) => ({ days: e.days, reason: e.reason, fromDueAt: e.from_due_at, toDueAt: e.to_due_at, grantedBy: e.granted_by, grantedAt: e.granted_at }));
    const r = this.d.db.prepare('SELECT body, COALESCE(corrected_given_at, given_at) AS givenAt FROM ratings WHERE id = ?').get(row.rating_id) as { body: string; givenAt: string } | undefined;
    let rating: CaseDetail['rating'] = null;
    if (r) {
      const b = JSON.parse(r.body) as { indicators?: string[]; text?: string; channel?: number; itemCode?: string; caseNumbers?: string[] };
      rating = { givenAt: r.givenAt, indicators: b.indicators ?? [], text: b.text ?? null, channel: b.channel ?? null, itemCode: b.itemCode ?? null, caseNumbers: b.caseNumbers ?? [] };
    }
    let session: CaseDetail['session'] = null;
    if (row.session_id) {
      const sr = this.d.db.prepare('SELECT item_name AS itemName FROM sessions WHERE id = ?').get(row.session_id) as { itemName: string } | undefined;
      if (sr) session = { itemName: sr.itemName, applicant: this.d.applicant(row.session_id) ?? null };
    }
    return { ...this.view(row, this.d.clock.now()), rating, session, steps, extensionList };
  }

  list(f: CaseFilter): { total: number; items: CaseView[] } {
    const now = this.d.clock.now();
    const nowIso = new Date(now).toISOString();
    const where: string[] = [];
    const args: unknown[] = [];
    const open = `c.state IN (${OPEN_STATES.map((s) => `'${s}'`).join(', ')})`;
    if (f.state === 'open') where.push(open);
    else if (f.state === 'closed') where.push(`NOT ${open}`);
    else if (f.state) { where.push('c.state = ?'); args.push(f.state); }
    if (f.overdue === true) { where.push(`${open} AND c.due_at <= ?`); args.push(nowIso); }
    if (f.overdue === false) { where.push(`NOT (${open} AND c.due_at <= ?)`); args.push(nowIso); }
    if (f.windowId) { where.push('c.window_id = ?'); args.push(f.windowId); }
    if (f.staffId) { where.push('c.staff_id = ?'); args.push(f.staffId); }
    if (f.from) { where.push('c.opened_at >= ?'); args.push(new Date(chinaMidnight(f.from)).toISOString()); }
    if (f.to) { where.push('c.opened_at < ?'); args.push(new Date(chinaMidnight(f.to) + DAY_MS).toISOString()); }
    if (f.appeal === 'pending') where.push("a.state = 'pending'");
    if (f.appeal === 'any') where.push('a.id IS NOT NULL');
    const w = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const total = (this.d.db.prepare(`SELECT COUNT(*) AS n FROM bad_review_cases c LEFT JOIN case_appeals a ON a.case_id = c.id${w}`).get(...args) as { n: number }).n;
    // overdue first, then the nearest deadline; closed cases newest first after the open ones
    const rows = this.d.db.prepare(`${SELECT}${w} ORDER BY CASE WHEN ${open} THEN 0 ELSE 1 END, CASE WHEN ${open} THEN c.due_at END ASC, c.opened_at DESC, c.id DESC LIMIT ? OFFSET ?`)
      .all(...args, f.limit, f.offset) as CaseRow[];
    return { total, items: rows.map((r) => this.view(r, now)) };
  }

  summary(): CaseSummary {
    const nowIso = new Date(this.d.clock.now()).toISOString();
    const byState = Object.fromEntries(CASE_STATES.map((s) => [s, 0])) as Record<CaseState, number>;
    for (const r of this.d.db.prepare('SELECT state, COUNT(*) AS n FROM bad_review_cases GROUP BY state').all() as { state: CaseState; n: number }[]) byState[r.state] = r.n;
    const inOpen = OPEN_STATES.map((s) => `'${s}'`).join(', ');
    const overdue = (this.d.db.prepare(`SELECT COUNT(*) AS n FROM bad_review_cases WHERE state IN (${inOpen}) AND due_at <= ?`).get(nowIso) as { n: number }).n;
    const ap = this.d.db.prepare("SELECT COUNT(*) AS n, SUM(review_due_at <= ?) AS late FROM case_appeals WHERE state = 'pending'").get(nowIso) as { n: number; late: number | null };
    return { open: byState.new + byState.contacted + byState.rectifying, overdue, byState, appealsPending: ap.n, reviewsOverdue: ap.late ?? 0 };
  }

  /**
   * Raises the overdue alerts that are due now: one per open case past due_at (again after an
   * extension moves it) and one per pending appeal past its review deadline. Returns how many.
   */
  check(): { overdue: number; reviewOverdue: number } {
    const now = this.d.clock.now();
    const at = new Date(now).toISOString();
    const after: (() => void | Promise<unknown>)[] = [];
    const push = (fn: () => void | Promise<unknown>): void => {
      after.push(fn);
    };
    const inOpen = OPEN_STATES.map((s) => `'${s}'`).join(', ');
    const counts = this.d.db.transaction(() => {
      const db = this.d.db;
      const lateCases = db.prepare(`SELECT c.id, c.state, c.due_at AS dueAt, c.window_id AS windowId, c.staff_id AS staffId FROM bad_review_cases c
          WHERE c.state IN (${inOpen}) AND c.due_at <= ?
            AND NOT EXISTS (SELECT 1 FROM case_overdue_alerts o WHERE o.case_id = c.id AND o.kind = 'case' AND o.due_at = c.due_at)`)
        .all(at) as { id: string; state: CaseState; dueAt: string; windowId: string; staffId: string | null }[];
      for (const c of lateCases) {
        db.prepare("INSERT INTO case_overdue_alerts (case_id, kind, due_at, raised_at) VALUES (?, 'case', ?, ?)").run(c.id, c.dueAt, at);
        this.step(db, c.id, at, 'hub', 'overdue', c.state, c.state, null, { dueAt: c.dueAt });
        this.publish(db, push, 'case.overdue', at, { caseId: c.id, state: c.state, dueAt: c.dueAt, windowId: c.windowId, staffId: c.staffId });
      }
      const lateReviews = db.prepare(`SELECT a.case_id AS caseId, a.id AS appealId, a.review_due_at AS dueAt, c.state FROM case_appeals a JOIN bad_review_cases c ON c.id = a.case_id
          WHERE a.state = 'pending' AND a.review_due_at <= ?
            AND NOT EXISTS (SELECT 1 FROM case_overdue_alerts o WHERE o.case_id = a.case_id AND o.kind = 'review' AND o.due_at = a.review_due_at)`)
        .all(at) as { caseId: string; appealId: string; dueAt: string; state: CaseState }[];
      for (const a of lateReviews) {
        db.prepare("INSERT INTO case_overdue_alerts (case_id, kind, due_at, raised_at) VALUES (?, 'review', ?, ?)").run(a.caseId, a.dueAt, at);
        this.step(db, a.caseId, at, 'hub', 'review-overdue', a.state, a.state, null, { appealId: a.appealId, reviewDueAt: a.dueAt });
        this.publish(db, push, 'case.review-overdue', at, { caseId: a.caseId, appealId: a.appealId, reviewDueAt: a.dueAt });
      }
      return { overdue: lateCases.length, reviewOverdue: lateReviews.length };
    })();
    if (counts.overdue) this.alertsRaised({ kind: 'case' }, counts.overdue);
    if (counts.reviewOverdue) this.alertsRaised({ kind: 'review' }, counts.reviewOverdue);
    this.runAfter(after);
    return counts;
  }

  private runCheck(): void {
    try {
      const c = this.check();
      if (c.overdue || c.reviewOverdue) this.d.log.info(c, 'cases: overdue alerts raised');
    } catch (err) {
      this.d.log.error({ err }, 'cases: overdue check failed');
    }
  }

  private runAfter(fns: readonly (() => void | Promise<unknown>)[]): void {
    // synchronously, as the inbox does, so an event is on the bus when the call returns
    for (const fn of fns) {
      try {
        void Promise.resolve(fn()).catch((err: unknown) => this.d.log.warn({ err }, 'cases: after-commit work failed'));
      } catch (err) {
        this.d.log.warn({ err }, 'cases: after-commit work failed');
      }
    }
  }

  /** Case numbers people can read out on the phone: C-<China date>-<n>, numbered per day. */
  private nextId(tx: Db, ms: number): string {
    const day = chinaDate(ms).replace(/-/g, '');
    const prefix = `C-${day}-`;
    const last = tx.prepare('SELECT id FROM bad_review_cases WHERE id >= ? AND id < ? ORDER BY length(id) DESC, id DESC LIMIT 1').get(prefix, `${prefix}~`) as { id: string } | undefined;
    const n = last ? Number(last.id.slice(prefix.length)) + 1 : 1;
    return `${prefix}${String(n).padStart(4, '0')}`;
  }

  private step(tx: Db, caseId: string, at: string, actor: string, kind: StepKind, from: CaseState, to: CaseState, note: string | null, detail: unknown): void {
    tx.prepare('INSERT INTO case_steps (case_id, at, actor, kind, from_state, to_state, note, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(caseId, at, actor, kind, from, to, note, JSON.stringify(detail ?? {}));
  }

  /** Webhook row in the transaction; the dashboard event after the commit. No personal data in either. */
  private publish(tx: Db, after: After, type: string, at: string, data: Record<string, unknown>): void {
    this.d.webhook.enqueue(tx, { type, at, data });
    after(() => {
      this.d.bus.emit(type, at, data);
      this.d.webhook.poke();
    });
  }

  private row(id: string): CaseRow | undefined {
    return this.d.db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as CaseRow | undefined;
  }

  private countOpen(): { labels: Record<string, string>; value: number }[] {
    const s = this.summary();
    return OPEN_STATES.map((st) => ({ labels: { state: st }, value: s.byState[st] }));
  }

  private view(r: CaseRow, now: number): CaseView {
    const snap = snapshot(r);
    return {
      id: r.id, ratingId: r.rating_id, hallId: r.hall_id, windowId: r.window_id, windowName: r.window_name, staffId: r.staff_id, staffName: r.staff_name,
      sessionId: r.session_id, level: r.level, state: r.state, openedAt: r.opened_at, dueAt: r.due_at, overdue: isOverdue(snap, now),
      contactedAt: r.contacted_at, rectifyingAt: r.rectifying_at, closedAt: r.closed_at, closeReason: r.close_reason, updatedAt: r.updated_at,
      version: r.version, extensions: r.extensions,
      appeal: {
        state: r.ap_state ?? 'none', id: r.ap_id, staffId: r.ap_staff_id, claim: r.ap_claim, grounds: r.ap_grounds, filedBy: r.ap_filed_by, filedAt: r.ap_filed_at,
        reviewDueAt: r.ap_review_due_at, decidedBy: r.ap_decided_by, decidedAt: r.ap_decided_at, decisionNote: r.ap_decision_note,
        reviewOverdue: isReviewOverdue(snap.appeal, now),
      },
      appealClosesAt: appealClosesAt(r.opened_at, this.d.calendar, this.d.options),
      excluded: r.ex_reason ? { reason: r.ex_reason, decidedBy: r.ex_decided_by!, decidedAt: r.ex_decided_at! } : null,
    };
  }
}

/** A stored row as the machine's union; a row that breaks the state's guarantees is a bug, not input. */
function snapshot(r: CaseRow): CaseSnapshot {
  const bad = (what: string): never => {
    throw new Error(`case ${r.id} in state ${r.state} has no ${what}`);
  };
  let appeal: AppealStatus = { state: 'none' };
  if (r.ap_state && r.ap_id) {
    const p = { id: r.ap_id, filedBy: r.ap_filed_by ?? bad('appeal filer'), filedAt: r.ap_filed_at ?? bad('appeal time'), reviewDueAt: r.ap_review_due_at ?? bad('review due'), claim: r.ap_claim ?? bad('claim') };
    appeal = r.ap_state === 'pending' ? { state: 'pending', ...p } : { state: r.ap_state, ...p, decidedBy: r.ap_decided_by ?? bad('decider'), decidedAt: r.ap_decided_at ?? bad('decision time') };
  }
  const core = { id: r.id, openedAt: r.opened_at, dueAt: r.due_at, version: r.version, extensions: r.extensions, appeal };
  switch (r.state) {
    case 'new': return { ...core, state: 'new' };
    case 'contacted': return { ...core, state: 'contacted', contactedAt: r.contacted_at ?? bad('contacted_at') };
    case 'rectifying': return { ...core, state: 'rectifying', contactedAt: r.contacted_at ?? bad('contacted_at'), rectifyingAt: r.rectifying_at ?? bad('rectifying_at') };
    case 'done': return { ...core, state: 'done', contactedAt: r.contacted_at, rectifyingAt: r.rectifying_at, closedAt: r.closed_at ?? bad('closed_at'), closeReason: r.close_reason };
    case 'unable': return { ...core, state: 'unable', contactedAt: r.contacted_at, rectifyingAt: r.rectifying_at, closedAt: r.closed_at ?? bad('closed_at'), closeReason: r.close_reason ?? bad('close_reason') };
  }
}
