/**
 * The Cases component against a real hub (SQLite file, embedded broker, injected clock): cases open
 * in the transaction that stores a 差评 received over MQTT, alerts reach the bus and the webhook,
 * actions persist with optimistic versions, the overdue check alerts once per deadline, and an
 * upheld appeal excludes the rating while keeping it on record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HcpError } from '@hcp/protocol';
import { FakeClock, provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating, until } from '../helpers/publisher.js';
import { WebhookSink } from '../helpers/webhook-sink.js';
import type { HubEvent } from '../../src/events/bus.js';
import { seedCase } from './helpers.js';

const cn = (local: string): number => Date.parse(`${local}+08:00`);
const cnIso = (local: string): string => new Date(cn(local)).toISOString();

describe('差评 cases in the hub', () => {
  // Saturday 2026-11-21 10:00 China time
  const clock = new FakeClock(cn('2026-11-21T10:00:00'));
  let t: TestHub;
  let sink: WebhookSink;
  let dev: DevicePublisher;
  const events: HubEvent[] = [];
  beforeAll(async () => {
    sink = await new WebhookSink().start();
    t = await startTestHub({ webhookUrl: sink.url, cases: { checkEveryS: 3600 } }, { clock });
    t.hub.services.bus.on((e) => events.push(e));
    dev = await new DevicePublisher(provisionDevice(t.hub)).connect();
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
    await sink?.stop();
  });
  const cases = () => t.hub.services.cases;
  const db = () => t.hub.services.db;
  const rowOf = (ratingId: string) => db().prepare('SELECT * FROM bad_review_cases WHERE rating_id = ?').get(ratingId) as Record<string, unknown> | undefined;

  it('a 差评 stored over MQTT opens a case in the same commit; good ratings and duplicates open none; alerts on bus and webhook', async () => {
    const bad1 = makeRating(dev.creds, { level: 1, indicators: ['501'], staffId: 'staff-009' });
    const bad2 = makeRating(dev.creds, { level: 2, text: '等候时间太长', staffId: null });
    const good = makeRating(dev.creds, { level: 5 });
    const mid = makeRating(dev.creds, { level: 3 });
    await dev.publishRatings([bad1, bad2, good, mid]);
    expect((await dev.waitAcks([bad1.id, bad2.id, good.id, mid.id])).map((a) => a.result)).toEqual(['stored', 'stored', 'stored', 'stored']);
    // acked means committed: the cases are there already
    const c1 = rowOf(bad1.id)!;
    const c2 = rowOf(bad2.id)!;
    expect(rowOf(good.id)).toBeUndefined();
    expect(rowOf(mid.id)).toBeUndefined();
    // opened Saturday: 10 working days are Mon 11-23 … Fri 12-04; due when Saturday 12-05 begins in China
    expect(c1).toMatchObject({ level: 1, state: 'new', version: 1, staff_id: 'staff-009', window_id: 'w-01', opened_at: cnIso('2026-11-21T10:00:00'), due_at: cnIso('2026-12-05T00:00:00') });
    // no staff on the rating: the window's staff member
    expect(c2).toMatchObject({ level: 2, staff_id: 'staff-007' });
    expect(c1.id).toMatch(/^C-20261121-\d{4}$/);
    expect(cases().get(String(c1.id))!.steps.map((s) => [s.kind, s.actor])).toEqual([['opened', 'hub']]);

    // the device re-sends (lost ack): acked as duplicate, no second case
    await dev.publishRatings([bad2]);
    await until(() => dev.messages.filter((m) => m.topic.endsWith('/acks')).length >= 2, 10_000, 'second ack');
    expect(db().prepare('SELECT COUNT(*) AS n FROM bad_review_cases WHERE rating_id IN (?, ?)').get(bad1.id, bad2.id)).toEqual({ n: 2 });

    const opened = events.filter((e) => e.type === 'case.opened');
    expect(opened.map((e) => e.data)).toEqual([
      { caseId: c1.id, ratingId: bad1.id, level: 1, windowId: 'w-01', staffId: 'staff-009', dueAt: c1.due_at },
      { caseId: c2.id, ratingId: bad2.id, level: 2, windowId: 'w-01', staffId: 'staff-007', dueAt: c2.due_at },
    ]);
    await until(() => sink.received.filter((w) => w.type === 'case.opened').length === 2, 10_000, 'webhook case.opened');
    expect(sink.received.find((w) => w.type === 'case.opened')!.data).toMatchObject({ caseId: c1.id, level: 1 });
    expect(t.hub.metrics.value('hcp_hub_cases_opened_total', { level: '1' })).toBe(1);
    expect(t.hub.metrics.render()).toMatch(/hcp_hub_cases_open\{state="new"\} 2/);
    // the audit log names the hub as the opener
    expect(db().prepare("SELECT actor FROM audit_log WHERE action = 'case.open' AND target = ?").get(c1.id)).toEqual({ actor: 'hub' });
  });

  it('openForRating joins the caller\'s transaction: a rollback leaves no case, no webhook row and no event', () => {
    const before = { cases: cases().summary().open, hooks: (db().prepare('SELECT COUNT(*) AS n FROM webhook_outbox').get() as { n: number }).n, events: events.length };
    const after: (() => unknown)[] = [];
    expect(() => db().transaction(() => {
      const r = cases().openForRating(db(), { ratingId: 'r-rollback', hallId: t.hub.config.hallId, windowId: 'w-01', staffId: null, sessionId: null, level: 1, storedAt: new Date(clock.now()).toISOString() }, (fn) => after.push(fn));
      expect(r).toMatchObject({ created: true });
      throw new Error('the rating insert failed after the hook');
    })()).toThrow('the rating insert failed');
    expect(rowOf('r-rollback')).toBeUndefined();
    expect(cases().summary().open).toBe(before.cases);
    expect((db().prepare('SELECT COUNT(*) AS n FROM webhook_outbox').get() as { n: number }).n).toBe(before.hooks);
    expect(events.length).toBe(before.events); // after-commit work is the caller's to run, and it never ran
    // ratings of level 3–5 open nothing; a second call for the same rating returns the first case
    expect(db().transaction(() => cases().openForRating(db(), { ratingId: 'r-good', hallId: 'h', windowId: 'w-01', staffId: null, sessionId: null, level: 4, storedAt: new Date(clock.now()).toISOString() }, () => undefined))()).toBeNull();
    const id = seedCase(t.hub, { level: 2 })!;
    const ratingId = cases().get(id)!.ratingId;
    const again = db().transaction(() => cases().openForRating(db(), { ratingId, hallId: 'h', windowId: 'w-01', staffId: null, sessionId: null, level: 2, storedAt: new Date(clock.now()).toISOString() }, () => undefined))();
    expect(again).toMatchObject({ caseId: id, created: false });
  });

  it('acts with optimistic versions, records steps with who and when, and audits every action', () => {
    const id = seedCase(t.hub, { level: 1 })!;
    clock.t = cn('2026-11-23T09:30:00');
    const c = cases().act(id, 1, { type: 'contact', note: '已电话联系评价人，了解到等候时间过长' }, 'user:op');
    expect(c).toMatchObject({ state: 'contacted', version: 2, contactedAt: cnIso('2026-11-23T09:30:00') });
    // a second operator who read version 1 cannot overwrite it
    expect(() => cases().act(id, 1, { type: 'close-unable', reason: 'x' }, 'user:op2')).toThrow(expect.objectContaining({ code: 'HCP_CASE_STALE', detail: { caseId: id, version: 2, yours: 1 } }) as HcpError);
    expect(() => cases().act(id, 2, { type: 'complete', result: 'x' }, 'user:op')).toThrow(expect.objectContaining({ code: 'HCP_CASE_STATE' }) as HcpError);
    expect(() => cases().act('C-20990101-0001', 1, { type: 'contact', note: 'x' }, 'user:op')).toThrow(expect.objectContaining({ code: 'HCP_NOT_FOUND' }) as HcpError);
    clock.t = cn('2026-11-24T14:00:00');
    cases().act(id, 2, { type: 'rectify', measure: '高峰时段增开窗口' }, 'user:op');
    const done = cases().act(id, 3, { type: 'complete', result: '已整改并回复群众' }, 'user:op');
    expect(done).toMatchObject({ state: 'done', version: 4, closedAt: cnIso('2026-11-24T14:00:00'), overdue: false });
    expect(done.steps.map((s) => [s.kind, s.actor, s.from, s.to, s.note])).toEqual([
      ['opened', 'hub', 'new', 'new', null],
      ['contacted', 'user:op', 'new', 'contacted', '已电话联系评价人，了解到等候时间过长'],
      ['rectifying', 'user:op', 'contacted', 'rectifying', '高峰时段增开窗口'],
      ['done', 'user:op', 'rectifying', 'done', '已整改并回复群众'],
    ]);
    const audit = db().prepare("SELECT actor, action, at FROM audit_log WHERE target = ? AND actor != 'hub' ORDER BY id").all(id);
    expect(audit).toEqual([
      { actor: 'user:op', action: 'case.contact', at: cnIso('2026-11-23T09:30:00') },
      { actor: 'user:op', action: 'case.rectify', at: cnIso('2026-11-24T14:00:00') },
      { actor: 'user:op', action: 'case.complete', at: cnIso('2026-11-24T14:00:00') },
    ]);
    expect(t.hub.metrics.value('hcp_hub_case_actions_total', { action: 'close-unable', result: 'HCP_CASE_STALE' })).toBe(1);
    expect(events.filter((e) => e.type === 'case.updated' && (e.data as { caseId: string }).caseId === id).map((e) => (e.data as { state: string }).state)).toEqual(['contacted', 'rectifying', 'done']);
  });

  it('alerts once when a case becomes overdue, again after an extension runs out; closed cases never', () => {
    clock.t = cn('2026-11-24T10:00:00');
    const id = seedCase(t.hub, { level: 2 })!; // Tuesday: due when Wednesday 12-09 begins
    expect(cases().get(id)!.dueAt).toBe(cnIso('2026-12-09T00:00:00'));
    const closed = seedCase(t.hub, { level: 2 })!;
    cases().act(closed, 1, { type: 'close-unable', reason: '评价人拒绝沟通' }, 'user:op');
    cases().check(); // earlier cases of this suite may fall due too: count from here
    const overdueOf = () => events.filter((e) => e.type === 'case.overdue' && (e.data as { caseId: string }).caseId === id);

    clock.t = cn('2026-12-08T23:59:59');
    cases().check();
    expect(overdueOf()).toHaveLength(0);
    expect(cases().get(id)!.overdue).toBe(false);
    clock.t = cn('2026-12-09T00:00:00');
    cases().check();
    cases().check();
    expect(overdueOf()).toHaveLength(1);
    expect(overdueOf()[0]!.data).toMatchObject({ caseId: id, state: 'new', dueAt: cnIso('2026-12-09T00:00:00') });
    expect(cases().get(id)!).toMatchObject({ overdue: true });
    expect(cases().get(id)!.steps.at(-1)).toMatchObject({ kind: 'overdue', actor: 'hub' });
    expect(cases().list({ overdue: true, limit: 50, offset: 0 }).items.map((c) => c.id)).toContain(id);
    expect(cases().list({ overdue: true, limit: 50, offset: 0 }).items.map((c) => c.id)).not.toContain(closed);
    expect(t.hub.metrics.render()).toMatch(/hcp_hub_cases_overdue [1-9]/);

    // extended from today (already late): 1 working day → Thursday 12-10 is the last day
    const ext = cases().act(id, 1, { type: 'extend', days: 1, reason: '需等待窗口负责人休假返岗' }, 'user:mgr');
    expect(ext).toMatchObject({ dueAt: cnIso('2026-12-11T00:00:00'), extensions: 1, overdue: false, version: 2 });
    expect(ext.extensionList).toEqual([{ days: 1, reason: '需等待窗口负责人休假返岗', fromDueAt: cnIso('2026-12-09T00:00:00'), toDueAt: cnIso('2026-12-11T00:00:00'), grantedBy: 'user:mgr', grantedAt: cnIso('2026-12-09T00:00:00') }]);
    cases().check();
    expect(overdueOf()).toHaveLength(1);
    clock.t = cn('2026-12-11T08:00:00');
    cases().check();
    expect(overdueOf()).toHaveLength(2);
    expect(events.some((e) => e.type === 'case.overdue' && (e.data as { caseId: string }).caseId === closed)).toBe(false);
  });

  it('an upheld appeal excludes the rating (kept on record) and closes the case; an undecided one alerts when its review is late', async () => {
    clock.t = cn('2026-12-14T09:00:00'); // Monday
    const id = seedCase(t.hub, { level: 1 })!;
    const ratingId = cases().get(id)!.ratingId;
    const a = cases().act(id, 1, { type: 'appeal', appealId: 'ap-1', staffId: null, claim: 'malicious', grounds: '评价人在窗口外与他人争执后连续按键' }, 'user:op');
    expect(a.appeal).toMatchObject({ state: 'pending', staffId: 'staff-007', filedBy: 'user:op', reviewDueAt: cnIso('2026-12-18T00:00:00'), reviewOverdue: false });
    expect(() => cases().act(id, 2, { type: 'review', decision: 'upheld', note: 'x' }, 'user:op')).toThrow(expect.objectContaining({ code: 'HCP_REVIEW_SELF' }) as HcpError);
    clock.t = cn('2026-12-18T00:00:00');
    cases().check();
    expect(events.filter((e) => e.type === 'case.review-overdue').map((e) => e.data)).toEqual([{ caseId: id, appealId: 'ap-1', reviewDueAt: cnIso('2026-12-18T00:00:00') }]);
    expect(cases().summary()).toMatchObject({ appealsPending: 1, reviewsOverdue: 1 });
    const r = cases().act(id, 2, { type: 'review', decision: 'upheld', note: '调取监控核实，属恶意差评' }, 'user:mgr');
    expect(r).toMatchObject({
      state: 'done', closeReason: 'appeal-upheld:malicious', excluded: { reason: 'malicious', decidedBy: 'user:mgr' },
      appeal: { state: 'upheld', decidedBy: 'user:mgr', decisionNote: '调取监控核实，属恶意差评', reviewOverdue: false },
    });
    expect(db().prepare('SELECT reason, note, decided_by AS by FROM rating_exclusions WHERE rating_id = ?').get(ratingId)).toEqual({ reason: 'malicious', note: '调取监控核实，属恶意差评', by: 'user:mgr' });
    expect(db().prepare('SELECT level FROM ratings WHERE id = ?').get(ratingId)).toEqual({ level: 1 });
    expect(cases().summary()).toMatchObject({ appealsPending: 0, reviewsOverdue: 0 });
    await until(() => sink.received.some((w) => w.type === 'case.updated' && w.data.step === 'appeal-upheld'), 10_000, 'webhook appeal-upheld');
  });

  it('start() runs the check at once and on its timer; stop() ends it', () => {
    clock.t = cn('2026-12-31T10:00:00');
    const id = seedCase(t.hub, { level: 1, at: cn('2026-11-02T10:00:00') })!; // long overdue
    const n = events.filter((e) => e.type === 'case.overdue').length;
    cases().stop();
    cases().start();
    cases().stop();
    expect(events.filter((e) => e.type === 'case.overdue').map((e) => (e.data as { caseId: string }).caseId).slice(n)).toEqual([id]);
  });
});
