/**
 * The 差评 case state machine, pure: a case snapshot (a union by state), an action, and a context
 * (time, calendar, policy, actor) go in; the next snapshot and the step to record come out, or a
 * coded refusal. No I/O and no clock of its own, so the whole rule set is unit-tested with plain
 * values (hub/test/cases/machine.test.ts) and the service (cases.ts) only persists what it returns.
 *
 *   new ──contact(note)──▶ contacted ──rectify(measure)──▶ rectifying ──complete(result)──▶ done
 *    └──────────────┴───────────── close-unable(reason) ─────────┴──────────────────────▶ unable
 *
 * Beside the states: extend (move due_at by working days, with a reason, at most maxExtensions
 * times, only while open), appeal (申诉, once per case, within appealDays working days of the case
 * opening) and review (复核 of a pending appeal by someone other than who filed it). An upheld
 * appeal closes an open case as `done` with close_reason `appeal-upheld:<reason>` and asks for the
 * rating's exclusion from statistics; a rejected one leaves the case where it was.
 *
 * Deadlines follow the policy texts (hcp reference seeds): 整改 within 10 working days (Jiangxi
 * 第十五条; Jin'an "10个工作日内完成回访、核实、整改"), 申诉 within 3 working days and 复核 within 3
 * working days (Tai'an 3.申诉复核). A window of n working days that starts at an instant closes at
 * China midnight after the n-th working day following that instant's day (WorkingCalendar.deadline).
 */

export const CASE_STATES = ['new', 'contacted', 'rectifying', 'done', 'unable'] as const;
export type CaseState = (typeof CASE_STATES)[number];
export const OPEN_STATES = ['new', 'contacted', 'rectifying'] as const satisfies readonly CaseState[];
export type OpenState = (typeof OPEN_STATES)[number];
export const isOpenState = (s: CaseState): s is OpenState => (OPEN_STATES as readonly string[]).includes(s);

export const EXCLUSION_REASONS = ['mistaken', 'malicious'] as const;
/** 误评 (the citizen pressed the wrong key, rated the wrong window …) or 恶意差评. */
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** The appeal of a case, if any (at most one per case). */
export type AppealStatus =
  | { readonly state: 'none' }
  | { readonly state: 'pending'; readonly id: string; readonly filedBy: string; readonly filedAt: string; readonly reviewDueAt: string; readonly claim: ExclusionReason }
  | { readonly state: 'upheld' | 'rejected'; readonly id: string; readonly filedBy: string; readonly filedAt: string; readonly reviewDueAt: string; readonly claim: ExclusionReason; readonly decidedBy: string; readonly decidedAt: string };

interface CaseCore {
  readonly id: string;
  readonly openedAt: string;
  /** When the case becomes overdue (an instant; moved by extensions). */
  readonly dueAt: string;
  readonly version: number;
  /** Extensions granted so far. */
  readonly extensions: number;
  readonly appeal: AppealStatus;
}

/** What each state guarantees about the timestamps, so code that reads a `done` case need not guess. */
export type CaseStatus =
  | { readonly state: 'new' }
  | { readonly state: 'contacted'; readonly contactedAt: string }
  | { readonly state: 'rectifying'; readonly contactedAt: string; readonly rectifyingAt: string }
  | { readonly state: 'done'; readonly contactedAt: string | null; readonly rectifyingAt: string | null; readonly closedAt: string; readonly closeReason: string | null }
  | { readonly state: 'unable'; readonly contactedAt: string | null; readonly rectifyingAt: string | null; readonly closedAt: string; readonly closeReason: string };

export type CaseSnapshot = CaseCore & CaseStatus;

export type CaseAction =
  | { readonly type: 'contact'; readonly note: string }
  | { readonly type: 'rectify'; readonly measure: string }
  | { readonly type: 'complete'; readonly result: string }
  | { readonly type: 'close-unable'; readonly reason: string }
  | { readonly type: 'extend'; readonly days: number; readonly reason: string }
  | { readonly type: 'appeal'; readonly appealId: string; readonly staffId: string | null; readonly claim: ExclusionReason; readonly grounds: string }
  | { readonly type: 'review'; readonly decision: 'upheld' | 'rejected'; readonly reason?: ExclusionReason; readonly note: string };
export type CaseActionType = CaseAction['type'];

/** The part of WorkingCalendar the machine needs (tests may pass a fake). */
export interface DeadlineCalendar {
  deadline(ms: number, workingDays: number): number;
}

export interface CasePolicy {
  /** 整改 deadline from the case opening. */
  readonly rectifyDays: number;
  /** 申诉 window from the case opening. */
  readonly appealDays: number;
  /** 复核 deadline from the appeal. */
  readonly reviewDays: number;
  readonly maxExtensions: number;
  readonly maxExtensionDays: number;
}

export interface TransitionContext {
  readonly now: number;
  readonly calendar: DeadlineCalendar;
  readonly policy: CasePolicy;
  /** Who acts (audit actor name, e.g. `user:zhang`). */
  readonly actor: string;
}

export type StepKind =
  | 'opened' | 'contacted' | 'rectifying' | 'done' | 'unable' | 'extended'
  | 'appealed' | 'appeal-upheld' | 'appeal-rejected' | 'overdue' | 'review-overdue';

/** One line of a case's history. */
export interface Step {
  readonly kind: StepKind;
  readonly from: CaseState;
  readonly to: CaseState;
  /** The human text of the step: contact note, measure, result, reason, grounds, decision note. */
  readonly note: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Refusal codes, all in the protocol error catalog. */
export type CaseRefusal = 'HCP_CASE_STATE' | 'HCP_CASE_EXTENSION_LIMIT' | 'HCP_APPEAL_CLOSED' | 'HCP_APPEAL_STATE' | 'HCP_REVIEW_SELF' | 'HCP_VALIDATION';

export type Transition =
  | { readonly ok: true; readonly next: CaseSnapshot; readonly step: Step; readonly exclude: ExclusionReason | null }
  | { readonly ok: false; readonly code: CaseRefusal; readonly message: string; readonly detail: Readonly<Record<string, unknown>> };

const iso = (ms: number): string => new Date(ms).toISOString();

/** The case deadline for a case opened at `openedMs`. */
export function caseDueAt(openedMs: number, cal: DeadlineCalendar, policy: CasePolicy): string {
  return iso(cal.deadline(openedMs, policy.rectifyDays));
}

/** The end of the 申诉 window for a case opened at `openedAt`. */
export function appealClosesAt(openedAt: string, cal: DeadlineCalendar, policy: CasePolicy): string {
  return iso(cal.deadline(Date.parse(openedAt), policy.appealDays));
}

/**
 * The due date after an extension of `days` working days: counted from the last day of the current
 * deadline, or from today when the case is already overdue (a late extension still gives the
 * promised number of working days, as Jiangxi 第十五条 asks for "进一步明确整改期限").
 */
export function extendedDueAt(dueAt: string, days: number, now: number, cal: DeadlineCalendar): string {
  return iso(cal.deadline(Math.max(Date.parse(dueAt) - 1, now), days));
}

/** Overdue: still open at or after its due instant. Closed cases are never overdue. */
export const isOverdue = (c: Pick<CaseSnapshot, 'state' | 'dueAt'>, now: number): boolean => isOpenState(c.state) && now >= Date.parse(c.dueAt);

/** A pending appeal not decided by its review deadline. */
export const isReviewOverdue = (a: AppealStatus, now: number): boolean => a.state === 'pending' && now >= Date.parse(a.reviewDueAt);

const refuse = (code: CaseRefusal, message: string, detail: Record<string, unknown> = {}): Transition => ({ ok: false, code, message, detail });

const closedFields = (c: CaseSnapshot): { contactedAt: string | null; rectifyingAt: string | null } => ({
  contactedAt: c.state === 'new' ? null : c.contactedAt,
  rectifyingAt: c.state === 'rectifying' || c.state === 'done' || c.state === 'unable' ? c.rectifyingAt : null,
});

/** The one transition function: every rule of the case workflow is here. */
export function transition(c: CaseSnapshot, a: CaseAction, ctx: TransitionContext): Transition {
  const at = iso(ctx.now);
  const base = { id: c.id, openedAt: c.openedAt, dueAt: c.dueAt, version: c.version + 1, extensions: c.extensions, appeal: c.appeal };
  const wrongState = (allowed: readonly CaseState[]): Transition =>
    refuse('HCP_CASE_STATE', `a ${c.state} case does not allow ${a.type}`, { state: c.state, action: a.type, allowed });
  const text = (v: string): string | null => (v.trim() === '' ? null : v.trim());

  switch (a.type) {
    case 'contact': {
      if (c.state !== 'new') return wrongState(['new']);
      const note = text(a.note);
      if (!note) return refuse('HCP_VALIDATION', 'a contact note is required', { part: 'body', errors: [{ field: '/note', rule: 'not blank' }] });
      return { ok: true, exclude: null, next: { ...base, state: 'contacted', contactedAt: at }, step: { kind: 'contacted', from: c.state, to: 'contacted', note, detail: {} } };
    }
    case 'rectify': {
      if (c.state !== 'contacted') return wrongState(['contacted']);
      const note = text(a.measure);
      if (!note) return refuse('HCP_VALIDATION', 'a rectification measure is required', { part: 'body', errors: [{ field: '/measure', rule: 'not blank' }] });
      return {
        ok: true, exclude: null, next: { ...base, state: 'rectifying', contactedAt: c.contactedAt, rectifyingAt: at },
        step: { kind: 'rectifying', from: c.state, to: 'rectifying', note, detail: {} },
      };
    }
    case 'complete': {
      if (c.state !== 'rectifying') return wrongState(['rectifying']);
      const note = text(a.result);
      if (!note) return refuse('HCP_VALIDATION', 'the rectification result is required', { part: 'body', errors: [{ field: '/result', rule: 'not blank' }] });
      return {
        ok: true, exclude: null, next: { ...base, state: 'done', contactedAt: c.contactedAt, rectifyingAt: c.rectifyingAt, closedAt: at, closeReason: null },
        step: { kind: 'done', from: c.state, to: 'done', note, detail: { overdue: isOverdue(c, ctx.now) } },
      };
    }
    case 'close-unable': {
      if (!isOpenState(c.state)) return wrongState(OPEN_STATES);
      const reason = text(a.reason);
      if (!reason) return refuse('HCP_VALIDATION', 'a reason is required to close a case as unable', { part: 'body', errors: [{ field: '/reason', rule: 'not blank' }] });
      return {
        ok: true, exclude: null, next: { ...base, state: 'unable', ...closedFields(c), closedAt: at, closeReason: reason },
        step: { kind: 'unable', from: c.state, to: 'unable', note: reason, detail: { overdue: isOverdue(c, ctx.now) } },
      };
    }
    case 'extend': {
      if (!isOpenState(c.state)) return wrongState(OPEN_STATES);
      const reason = text(a.reason);
      if (!reason) return refuse('HCP_VALIDATION', 'an extension needs a reason', { part: 'body', errors: [{ field: '/reason', rule: 'not blank' }] });
      if (!Number.isInteger(a.days) || a.days < 1 || a.days > ctx.policy.maxExtensionDays) {
        return refuse('HCP_VALIDATION', `an extension is 1..${ctx.policy.maxExtensionDays} working days`, { part: 'body', errors: [{ field: '/days', rule: `integer 1..${ctx.policy.maxExtensionDays}` }] });
      }
      if (c.extensions >= ctx.policy.maxExtensions) {
        return refuse('HCP_CASE_EXTENSION_LIMIT', `a case may be extended at most ${ctx.policy.maxExtensions} times`, { extensions: c.extensions, max: ctx.policy.maxExtensions });
      }
      const dueAt = extendedDueAt(c.dueAt, a.days, ctx.now, ctx.calendar);
      return {
        ok: true, exclude: null, next: { ...c, ...base, dueAt, extensions: c.extensions + 1 },
        step: { kind: 'extended', from: c.state, to: c.state, note: reason, detail: { days: a.days, fromDueAt: c.dueAt, toDueAt: dueAt, wasOverdue: isOverdue(c, ctx.now) } },
      };
    }
    case 'appeal': {
      if (c.appeal.state !== 'none') return refuse('HCP_APPEAL_STATE', 'this case already has an appeal', { appeal: c.appeal.state });
      const grounds = text(a.grounds);
      if (!grounds) return refuse('HCP_VALIDATION', 'an appeal needs grounds', { part: 'body', errors: [{ field: '/grounds', rule: 'not blank' }] });
      const closesAt = appealClosesAt(c.openedAt, ctx.calendar, ctx.policy);
      if (ctx.now >= Date.parse(closesAt)) return refuse('HCP_APPEAL_CLOSED', `appeals close ${ctx.policy.appealDays} working days after the case opened`, { closedAt: closesAt });
      const reviewDueAt = iso(ctx.calendar.deadline(ctx.now, ctx.policy.reviewDays));
      const appeal: AppealStatus = { state: 'pending', id: a.appealId, filedBy: ctx.actor, filedAt: at, reviewDueAt, claim: a.claim };
      return {
        ok: true, exclude: null, next: { ...c, ...base, appeal },
        step: { kind: 'appealed', from: c.state, to: c.state, note: grounds, detail: { appealId: a.appealId, claim: a.claim, staffId: a.staffId, reviewDueAt } },
      };
    }
    case 'review': {
      const p = c.appeal;
      if (p.state !== 'pending') return refuse('HCP_APPEAL_STATE', 'there is no pending appeal to review', { appeal: p.state });
      // 复核 is a second pair of eyes: whoever filed the appeal may not decide it
      if (p.filedBy === ctx.actor) return refuse('HCP_REVIEW_SELF', 'the person who filed the appeal may not review it', { filedBy: p.filedBy });
      const note = text(a.note);
      if (!note) return refuse('HCP_VALIDATION', 'a review needs a note', { part: 'body', errors: [{ field: '/note', rule: 'not blank' }] });
      const decided: AppealStatus = { ...p, state: a.decision, decidedBy: ctx.actor, decidedAt: at };
      if (a.decision === 'rejected') {
        return {
          ok: true, exclude: null, next: { ...c, ...base, appeal: decided },
          step: { kind: 'appeal-rejected', from: c.state, to: c.state, note, detail: { appealId: p.id } },
        };
      }
      const reason = a.reason ?? p.claim;
      // an upheld appeal ends the follow-up; a case already closed keeps its state (the exclusion still applies)
      const next: CaseSnapshot = isOpenState(c.state)
        ? { ...base, appeal: decided, state: 'done', ...closedFields(c), closedAt: at, closeReason: `appeal-upheld:${reason}` }
        : { ...c, ...base, appeal: decided };
      return { ok: true, exclude: reason, next, step: { kind: 'appeal-upheld', from: c.state, to: next.state, note, detail: { appealId: p.id, reason } } };
    }
  }
}
