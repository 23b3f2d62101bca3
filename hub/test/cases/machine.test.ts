/**
 * The 差评 case machine as plain values: every state × action, the refusals, and the deadline math
 * over weekends, a public holiday and a 调休 Saturday (a fixture calendar, so a correction of the
 * bundled cn.json cannot silently change what these tests prove).
 */
import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../src/forward/calendar.js';
import {
  CASE_STATES, appealClosesAt, caseDueAt, extendedDueAt, isOverdue, isReviewOverdue, transition,
  type CaseAction, type CasePolicy, type CaseSnapshot, type CaseState, type TransitionContext,
} from '../../src/cases/machine.js';

// 2026-10-01..07 国庆 off; Saturday 2026-10-10 is a 调休 working day
const cal = WorkingCalendar.fromData({
  v: 1, name: 'test', timezone: '+08:00', weekend: [0, 6],
  years: { 2026: { source: 'fixture', holidays: [{ name: '国庆节', off: ['2026-10-01..2026-10-07'], work: ['2026-10-10'] }] } },
});
const policy: CasePolicy = { rectifyDays: 10, appealDays: 3, reviewDays: 3, maxExtensions: 2, maxExtensionDays: 10 };
/** An instant given as China wall-clock time. */
const cn = (local: string): number => Date.parse(`${local}+08:00`);
const cnIso = (local: string): string => new Date(cn(local)).toISOString();

const OPENED = '2026-11-20T10:00:00'; // a Friday
const base = (over: Partial<CaseSnapshot> = {}): CaseSnapshot => ({
  id: 'C-20261120-0001', openedAt: cnIso(OPENED), dueAt: caseDueAt(cn(OPENED), cal, policy), version: 1, extensions: 0, appeal: { state: 'none' },
  state: 'new', ...over,
} as CaseSnapshot);
const ctx = (local = '2026-11-20T11:00:00', actor = 'user:op'): TransitionContext => ({ now: cn(local), calendar: cal, policy, actor });

/** Walks a fresh case to `state` through the legal path. */
function caseIn(state: CaseState): CaseSnapshot {
  let c = base();
  const path: Record<CaseState, CaseAction[]> = {
    new: [],
    contacted: [{ type: 'contact', note: '已电话回访' }],
    rectifying: [{ type: 'contact', note: '已电话回访' }, { type: 'rectify', measure: '窗口增加引导' }],
    done: [{ type: 'contact', note: '已电话回访' }, { type: 'rectify', measure: '窗口增加引导' }, { type: 'complete', result: '已反馈群众' }],
    unable: [{ type: 'close-unable', reason: '无法联系评价人' }],
  };
  for (const a of path[state]) {
    const t = transition(c, a, ctx());
    if (!t.ok) throw new Error(`${a.type}: ${t.code}`);
    c = t.next;
  }
  return c;
}

describe('deadlines in working days', () => {
  it('skips the weekend: a case opened on Friday is due after 10 working days, at China midnight', () => {
    // Mon 11-23 … Fri 11-27 (5), Mon 11-30 … Fri 12-04 (10) → closes when Saturday 12-05 begins in China
    expect(caseDueAt(cn('2026-11-20T10:00:00'), cal, policy)).toBe(cnIso('2026-12-05T00:00:00'));
    expect(caseDueAt(cn('2026-11-20T10:00:00'), cal, { ...policy, rectifyDays: 1 })).toBe(cnIso('2026-11-24T00:00:00'));
    // opened on Saturday: the same deadline as Friday's
    expect(caseDueAt(cn('2026-11-21T09:00:00'), cal, { ...policy, rectifyDays: 1 })).toBe(cnIso('2026-11-24T00:00:00'));
  });

  it('counts the day in China time, not UTC', () => {
    // Thursday 23:59 in China is still Thursday: due when Saturday begins; one minute past midnight is Friday
    expect(caseDueAt(cn('2026-11-19T23:59:00'), cal, { ...policy, rectifyDays: 1 })).toBe(cnIso('2026-11-21T00:00:00'));
    expect(caseDueAt(cn('2026-11-20T00:01:00'), cal, { ...policy, rectifyDays: 1 })).toBe(cnIso('2026-11-24T00:00:00'));
  });

  it('skips a public holiday and counts a 调休 Saturday', () => {
    // Wed 09-30: holiday 10-01..07, Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 调休 (3)
    expect(caseDueAt(cn('2026-09-30T15:00:00'), cal, { ...policy, rectifyDays: 3 })).toBe(cnIso('2026-10-11T00:00:00'));
    // the 3-day appeal window of a case opened before the holiday stays open through it
    expect(appealClosesAt(cnIso('2026-09-30T15:00:00'), cal, policy)).toBe(cnIso('2026-10-11T00:00:00'));
    // Friday 10-09 + 1 working day is the 调休 Saturday, not Monday
    expect(caseDueAt(cn('2026-10-09T09:00:00'), cal, { ...policy, rectifyDays: 1 })).toBe(cnIso('2026-10-11T00:00:00'));
  });

  it('extends from the current deadline, or from today when already overdue', () => {
    const due = cnIso('2026-11-24T00:00:00'); // the last day was Monday 11-23
    expect(extendedDueAt(due, 2, cn('2026-11-23T10:00:00'), cal)).toBe(cnIso('2026-11-26T00:00:00'));
    // a week late (Tuesday 12-01): two working days from today
    expect(extendedDueAt(due, 2, cn('2026-12-01T10:00:00'), cal)).toBe(cnIso('2026-12-04T00:00:00'));
  });

  it('is overdue from the due instant on, only while open', () => {
    const c = base({ dueAt: cnIso('2026-11-24T00:00:00') });
    expect(isOverdue(c, cn('2026-11-23T23:59:59'))).toBe(false);
    expect(isOverdue(c, cn('2026-11-24T00:00:00'))).toBe(true);
    expect(isOverdue({ ...caseIn('done'), dueAt: c.dueAt }, cn('2026-12-24T00:00:00'))).toBe(false);
    expect(isOverdue({ ...caseIn('unable'), dueAt: c.dueAt }, cn('2026-12-24T00:00:00'))).toBe(false);
  });
});

describe('state transitions', () => {
  it('walks new → contacted → rectifying → done, stamping each step and bumping the version', () => {
    const t1 = transition(base(), { type: 'contact', note: '  已电话回访，群众反映等候时间长  ' }, ctx('2026-11-20T11:00:00'));
    expect(t1.ok && t1.next).toMatchObject({ state: 'contacted', contactedAt: cnIso('2026-11-20T11:00:00'), version: 2 });
    expect(t1.ok && t1.step).toEqual({ kind: 'contacted', from: 'new', to: 'contacted', note: '已电话回访，群众反映等候时间长', detail: {} });
    if (!t1.ok) return;
    const t2 = transition(t1.next, { type: 'rectify', measure: '高峰期增开窗口' }, ctx('2026-11-23T09:00:00'));
    expect(t2.ok && t2.next).toMatchObject({ state: 'rectifying', contactedAt: cnIso('2026-11-20T11:00:00'), rectifyingAt: cnIso('2026-11-23T09:00:00'), version: 3 });
    if (!t2.ok) return;
    const t3 = transition(t2.next, { type: 'complete', result: '已增开窗口并向群众反馈' }, ctx('2026-11-25T16:00:00'));
    expect(t3.ok && t3.next).toMatchObject({ state: 'done', closedAt: cnIso('2026-11-25T16:00:00'), closeReason: null, version: 4 });
    expect(t3.ok && t3.step.detail).toEqual({ overdue: false });
    expect(t3.ok && t3.exclude).toBeNull();
  });

  // the full table: which action each state accepts
  const actions: Record<string, CaseAction> = {
    contact: { type: 'contact', note: 'n' }, rectify: { type: 'rectify', measure: 'm' }, complete: { type: 'complete', result: 'r' },
    'close-unable': { type: 'close-unable', reason: 'x' }, extend: { type: 'extend', days: 2, reason: 'r' },
  };
  const allowed: Record<CaseState, string[]> = {
    new: ['contact', 'close-unable', 'extend'],
    contacted: ['rectify', 'close-unable', 'extend'],
    rectifying: ['complete', 'close-unable', 'extend'],
    done: [],
    unable: [],
  };
  for (const state of CASE_STATES) {
    for (const [name, action] of Object.entries(actions)) {
      const ok = allowed[state].includes(name);
      it(`${state} ${ok ? 'accepts' : 'refuses'} ${name}`, () => {
        const t = transition(caseIn(state), action, ctx());
        expect(t.ok).toBe(ok);
        if (!t.ok) expect(t).toMatchObject({ code: 'HCP_CASE_STATE', detail: { state, action: name } });
      });
    }
  }

  it('closes as unable from every open state, keeping what happened before, only with a reason', () => {
    for (const state of ['new', 'contacted', 'rectifying'] as const) {
      const before = caseIn(state);
      const t = transition(before, { type: 'close-unable', reason: '涉及政策规定，窗口无法调整' }, ctx('2026-11-24T10:00:00'));
      expect(t.ok && t.next).toMatchObject({ state: 'unable', closeReason: '涉及政策规定，窗口无法调整', closedAt: cnIso('2026-11-24T10:00:00') });
      expect(t.ok && t.next.state === 'unable' && t.next.contactedAt).toBe(state === 'new' ? null : (before as { contactedAt: string }).contactedAt);
      expect(transition(before, { type: 'close-unable', reason: '   ' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION', detail: { errors: [{ field: '/reason' }] } });
    }
  });

  it('refuses blank notes for every step', () => {
    expect(transition(caseIn('new'), { type: 'contact', note: ' \n ' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
    expect(transition(caseIn('contacted'), { type: 'rectify', measure: '' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
    expect(transition(caseIn('rectifying'), { type: 'complete', result: '\t' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
  });

  it('marks a late close in the step', () => {
    const c = caseIn('rectifying');
    const t = transition(c, { type: 'complete', result: '已整改' }, { ...ctx(), now: Date.parse(c.dueAt) + 1 });
    expect(t.ok && t.step.detail).toEqual({ overdue: true });
  });
});

describe('extensions', () => {
  it('moves the deadline by working days with a reason, at most maxExtensions times', () => {
    let c = caseIn('contacted');
    const first = transition(c, { type: 'extend', days: 5, reason: '需协调不动产登记中心' }, ctx('2026-11-25T10:00:00'));
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    // 12-05 00:00 (last day Friday 12-04) + 5 working days → Friday 12-11 is the last day
    expect(first.next).toMatchObject({ dueAt: cnIso('2026-12-12T00:00:00'), extensions: 1, state: 'contacted', version: c.version + 1 });
    expect(first.step).toMatchObject({ kind: 'extended', note: '需协调不动产登记中心', detail: { days: 5, fromDueAt: c.dueAt, toDueAt: cnIso('2026-12-12T00:00:00'), wasOverdue: false } });
    c = first.next;
    const second = transition(c, { type: 'extend', days: 1, reason: '等待上级答复' }, ctx());
    expect(second.ok).toBe(true);
    if (!second.ok) return;
    expect(transition(second.next, { type: 'extend', days: 1, reason: '再次延期' }, ctx())).toMatchObject({ ok: false, code: 'HCP_CASE_EXTENSION_LIMIT', detail: { extensions: 2, max: 2 } });
  });

  it('refuses zero, too many days and blank reasons', () => {
    const c = caseIn('new');
    expect(transition(c, { type: 'extend', days: 0, reason: 'x' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION', detail: { errors: [{ field: '/days' }] } });
    expect(transition(c, { type: 'extend', days: 11, reason: 'x' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
    expect(transition(c, { type: 'extend', days: 2.5, reason: 'x' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
    expect(transition(c, { type: 'extend', days: 2, reason: ' ' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION', detail: { errors: [{ field: '/reason' }] } });
  });
});

describe('appeals and review', () => {
  const appeal: CaseAction = { type: 'appeal', appealId: 'ap-1', staffId: 'staff-007', claim: 'mistaken', grounds: '群众误按按键，已当场说明' };

  it('accepts an appeal until the window closes (3 working days after the case opened), once', () => {
    // opened Friday 11-20: Mon, Tue, Wed → closes when Thursday 11-26 begins
    expect(appealClosesAt(cnIso(OPENED), cal, policy)).toBe(cnIso('2026-11-26T00:00:00'));
    const t = transition(caseIn('contacted'), appeal, ctx('2026-11-25T23:59:00', 'user:op'));
    expect(t.ok && t.next.appeal).toEqual({ state: 'pending', id: 'ap-1', filedBy: 'user:op', filedAt: cnIso('2026-11-25T23:59:00'), reviewDueAt: cnIso('2026-12-01T00:00:00'), claim: 'mistaken' });
    expect(t.ok && t.next.state).toBe('contacted');
    expect(t.ok && t.step).toMatchObject({ kind: 'appealed', note: '群众误按按键，已当场说明', detail: { claim: 'mistaken', staffId: 'staff-007' } });
    expect(transition(caseIn('contacted'), appeal, ctx('2026-11-26T00:00:00'))).toMatchObject({ ok: false, code: 'HCP_APPEAL_CLOSED', detail: { closedAt: cnIso('2026-11-26T00:00:00') } });
    if (t.ok) expect(transition(t.next, appeal, ctx('2026-11-25T23:59:30'))).toMatchObject({ ok: false, code: 'HCP_APPEAL_STATE' });
    expect(transition(caseIn('new'), { ...appeal, grounds: ' ' }, ctx())).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
  });

  const pending = (state: CaseState = 'contacted'): CaseSnapshot => {
    const t = transition(caseIn(state), appeal, ctx('2026-11-23T10:00:00', 'user:op'));
    if (!t.ok) throw new Error(t.code);
    return t.next;
  };

  it('upheld: an open case closes as done with the reason, and the rating is to be excluded', () => {
    const c = pending('rectifying');
    const t = transition(c, { type: 'review', decision: 'upheld', reason: 'malicious', note: '经查看监控，确属恶意差评' }, ctx('2026-11-24T10:00:00', 'user:mgr'));
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.exclude).toBe('malicious');
    expect(t.next).toMatchObject({ state: 'done', closeReason: 'appeal-upheld:malicious', closedAt: cnIso('2026-11-24T10:00:00'), appeal: { state: 'upheld', decidedBy: 'user:mgr' } });
    expect(t.step).toMatchObject({ kind: 'appeal-upheld', from: 'rectifying', to: 'done', note: '经查看监控，确属恶意差评', detail: { reason: 'malicious', appealId: 'ap-1' } });
    // without an explicit reason the appeal's claim is used
    const t2 = transition(pending('new'), { type: 'review', decision: 'upheld', note: '属实' }, ctx('2026-11-24T10:00:00', 'user:mgr'));
    expect(t2.ok && t2.exclude).toBe('mistaken');
  });

  it('upheld on a case already closed keeps its state and still excludes the rating', () => {
    const c = pending('done');
    const t = transition(c, { type: 'review', decision: 'upheld', note: '属实' }, ctx('2026-11-24T10:00:00', 'user:mgr'));
    expect(t.ok && t.next).toMatchObject({ state: 'done', closeReason: null, appeal: { state: 'upheld' } });
    expect(t.ok && t.exclude).toBe('mistaken');
  });

  it('rejected: the case goes on where it was, and cannot be appealed again', () => {
    const t = transition(pending('contacted'), { type: 'review', decision: 'rejected', note: '证据不足' }, ctx('2026-11-24T10:00:00', 'user:mgr'));
    expect(t.ok && t.next).toMatchObject({ state: 'contacted', appeal: { state: 'rejected', decidedBy: 'user:mgr' } });
    expect(t.ok && t.exclude).toBeNull();
    if (!t.ok) return;
    expect(transition(t.next, { type: 'rectify', measure: '加强培训' }, ctx()).ok).toBe(true);
    expect(transition(t.next, appeal, ctx('2026-11-24T11:00:00'))).toMatchObject({ ok: false, code: 'HCP_APPEAL_STATE' });
  });

  it('refuses a review without a pending appeal, by the filer, or without a note', () => {
    expect(transition(caseIn('new'), { type: 'review', decision: 'upheld', note: 'x' }, ctx())).toMatchObject({ ok: false, code: 'HCP_APPEAL_STATE' });
    expect(transition(pending(), { type: 'review', decision: 'upheld', note: 'x' }, ctx('2026-11-24T10:00:00', 'user:op'))).toMatchObject({ ok: false, code: 'HCP_REVIEW_SELF' });
    expect(transition(pending(), { type: 'review', decision: 'rejected', note: '' }, ctx('2026-11-24T10:00:00', 'user:mgr'))).toMatchObject({ ok: false, code: 'HCP_VALIDATION' });
  });

  it('flags a review not decided by its deadline', () => {
    const a = pending().appeal;
    // filed Monday 11-23: Tue, Wed, Thu → due when Friday 11-27 begins
    expect(a.state === 'pending' && a.reviewDueAt).toBe(cnIso('2026-11-27T00:00:00'));
    expect(isReviewOverdue(a, cn('2026-11-26T23:00:00'))).toBe(false);
    expect(isReviewOverdue(a, cn('2026-11-27T00:00:00'))).toBe(true);
  });
});
