/**
 * /api/cases over inject(): every route with its roles (401, 403), field errors (400), coded
 * refusals (404, 409, 403 self-review), filters, the detail with history and masked applicant,
 * the summary and the /metrics figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, provisionDevice, seedWindow, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import type { CaseDetail, CaseView } from '../../src/cases/cases.js';
import { seedCase } from './helpers.js';

const cn = (local: string): number => Date.parse(`${local}+08:00`);
const cnIso = (local: string): string => new Date(cn(local)).toISOString();
type Err = { code: string; detail?: { errors?: { field: string; rule: string }[] } };

describe('/api/cases', () => {
  const clock = new FakeClock(cn('2026-11-23T10:00:00')); // Monday
  let t: TestHub;
  type Who = 'operator' | 'manager' | 'manager2' | 'auditor' | 'technician' | 'business' | 'admin';
  const tok = {} as Record<Who, string>;
  beforeAll(async () => {
    t = await startTestHub({ cases: { maxExtensions: 1, checkEveryS: 3600 } }, { clock });
    provisionDevice(t.hub, 'w-01');
    seedWindow(t.hub, 'w-02', 'staff-008');
    for (const role of ['operator', 'manager', 'auditor', 'technician', 'business'] as const) tok[role] = await tokenFor(t.hub, role);
    tok.manager2 = await tokenFor(t.hub, 'manager');
    tok.admin = await tokenFor(t.hub, 'admin');
  });
  afterAll(async () => {
    await t?.stop();
  });
  const detail = async (id: string, token = tok.operator) => (await call(t.hub, 'GET', `/api/cases/${id}`, { token })).json<CaseDetail>();

  it('every route needs a login (401) and the right role (403)', async () => {
    const id = seedCase(t.hub)!;
    const routes: [string, string, unknown, Who[], Who[]][] = [
      // method, url, body, allowed roles, refused roles
      ['GET', '/api/cases', undefined, ['operator', 'manager', 'auditor', 'admin'], ['technician', 'business']],
      ['GET', '/api/cases/summary', undefined, ['operator', 'manager', 'auditor'], ['technician', 'business']],
      ['GET', `/api/cases/${id}`, undefined, ['operator', 'manager', 'auditor'], ['technician', 'business']],
      ['POST', `/api/cases/${id}/transitions`, { version: 1, to: 'contacted', note: 'x' }, [], ['auditor', 'technician', 'business']],
      ['POST', `/api/cases/${id}/extend`, { version: 1, days: 1, reason: 'x' }, [], ['operator', 'auditor', 'technician', 'business']],
      ['POST', `/api/cases/${id}/appeal`, { version: 1, claim: 'mistaken', grounds: 'x' }, [], ['auditor', 'technician', 'business']],
      ['POST', `/api/cases/${id}/review`, { version: 1, decision: 'rejected', note: 'x' }, [], ['operator', 'auditor', 'technician', 'business']],
    ];
    for (const [method, url, body, allowed, refused] of routes) {
      expect((await call(t.hub, method, url, { body })).json(), `${method} ${url} anonymous`).toMatchObject({ code: 'HCP_AUTH_REQUIRED' });
      expect((await call(t.hub, method, url, { body, token: 'not-a-token' })).status).toBe(401);
      for (const role of refused) {
        const r = await call(t.hub, method, url, { body, token: tok[role] });
        expect([r.status, r.json<Err>().code], `${method} ${url} as ${role}`).toEqual([403, 'HCP_FORBIDDEN']);
      }
      for (const role of allowed) expect((await call(t.hub, method, url, { token: tok[role] })).status, `${method} ${url} as ${role}`).toBe(200);
    }
    // nothing changed on the case
    expect(await detail(id)).toMatchObject({ state: 'new', version: 1, appeal: { state: 'none' }, extensions: 0 });
  });

  it('answers bad input with 400 HCP_VALIDATION naming the fields', async () => {
    const id = seedCase(t.hub)!;
    const bad = async (method: string, url: string, body?: unknown) => {
      const r = await call(t.hub, method, url, { token: tok.manager, body });
      expect(r.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
      const e = r.json<Err>();
      expect(e.code).toBe('HCP_VALIDATION');
      return e.detail!.errors!.map((x) => x.field);
    };
    expect(await bad('POST', `/api/cases/${id}/transitions`, { version: 1, to: 'contacted' })).toContain('/note');
    expect(await bad('POST', `/api/cases/${id}/transitions`, { version: 1, to: 'contacted', note: '   ' })).toContain('/note');
    expect(await bad('POST', `/api/cases/${id}/transitions`, { version: 1, to: 'archived', note: 'x' })).toContain('/to');
    expect(await bad('POST', `/api/cases/${id}/transitions`, { version: 0, to: 'contacted', note: 'x' })).toContain('/version');
    expect(await bad('POST', `/api/cases/${id}/transitions`, { to: 'contacted', note: 'x', extra: 1 })).toEqual(expect.arrayContaining(['/version']));
    expect(await bad('POST', `/api/cases/${id}/transitions`, { version: 1, to: 'contacted', note: 'x'.repeat(2001) })).toContain('/note');
    expect(await bad('POST', `/api/cases/${id}/extend`, { version: 1, days: 0, reason: 'x' })).toContain('/days');
    expect(await bad('POST', `/api/cases/${id}/extend`, { version: 1, days: 2 })).toContain('/reason');
    expect(await bad('POST', `/api/cases/${id}/appeal`, { version: 1, claim: 'unfair', grounds: 'x' })).toContain('/claim');
    expect(await bad('POST', `/api/cases/${id}/appeal`, { version: 1, claim: 'mistaken', grounds: 'x', staffId: '../x' })).toContain('/staffId');
    expect(await bad('POST', `/api/cases/${id}/review`, { version: 1, decision: 'maybe', note: 'x' })).toContain('/decision');
    expect(await bad('POST', `/api/cases/${id}/review`, { version: 1, decision: 'upheld', reason: 'spite', note: 'x' })).toContain('/reason');
    expect(await bad('GET', '/api/cases/not-a-case')).toContain('/id');
    expect(await bad('GET', '/api/cases?state=lost')).toContain('/state');
    expect(await bad('GET', '/api/cases?overdue=yes&limit=0&from=2026-1-1')).toEqual(expect.arrayContaining(['/overdue', '/limit', '/from']));
    expect(await bad('GET', '/api/cases?colour=red')).toBeDefined();
    // extensions beyond the configured size are refused by the policy, not only the schema
    const big = await call(t.hub, 'POST', `/api/cases/${id}/extend`, { token: tok.manager, body: { version: 1, days: 11, reason: 'x' } });
    expect(big.status).toBe(400);
    expect(big.json<Err>().detail!.errors![0]!.field).toBe('/days');
    expect((await call(t.hub, 'GET', '/api/cases/C-20990101-0001', { token: tok.manager })).json()).toMatchObject({ code: 'HCP_NOT_FOUND' });
    expect((await call(t.hub, 'POST', '/api/cases/C-20990101-0001/transitions', { token: tok.manager, body: { version: 1, to: 'contacted', note: 'x' } })).status).toBe(404);
  });

  it('walks a case through every state; refuses stale versions and wrong states with 409 codes', async () => {
    const id = seedCase(t.hub, { text: '窗口人员态度生硬', indicators: ['501', '502'] })!;
    const post = (what: string, body: unknown, token = tok.operator) => call(t.hub, 'POST', `/api/cases/${id}/${what}`, { token, body });
    const c1 = await post('transitions', { version: 1, to: 'contacted', note: '已电话回访评价人' });
    expect(c1.status).toBe(200);
    expect(c1.json<CaseDetail>()).toMatchObject({ state: 'contacted', version: 2, contactedAt: cnIso('2026-11-23T10:00:00') });
    const stale = await post('transitions', { version: 1, to: 'rectifying', note: 'x' });
    expect([stale.status, stale.json<Err>().code]).toEqual([409, 'HCP_CASE_STALE']);
    const wrong = await post('transitions', { version: 2, to: 'done', note: 'x' });
    expect([wrong.status, wrong.json()]).toMatchObject([409, { code: 'HCP_CASE_STATE', detail: { state: 'contacted', action: 'complete', allowed: ['rectifying'] } }]);
    expect((await post('transitions', { version: 2, to: 'rectifying', note: '对窗口人员进行服务规范培训' })).json()).toMatchObject({ state: 'rectifying', version: 3 });
    const ext = await post('extend', { version: 3, days: 3, reason: '培训需安排在下周' }, tok.manager);
    // opened Monday 11-23: due when Tuesday 12-08 begins; +3 working days (12-08, 12-09, 12-10)
    expect(ext.json<CaseDetail>()).toMatchObject({ version: 4, extensions: 1, dueAt: cnIso('2026-12-11T00:00:00') });
    expect((await post('extend', { version: 4, days: 1, reason: '再延' }, tok.manager)).json()).toMatchObject({ code: 'HCP_CASE_EXTENSION_LIMIT' });
    const done = await post('transitions', { version: 4, to: 'done', note: '培训完成，已向评价人反馈' });
    const d = done.json<CaseDetail>();
    expect(d).toMatchObject({ state: 'done', version: 5, closedAt: cnIso('2026-11-23T10:00:00'), overdue: false });
    expect(d.rating).toMatchObject({ text: '窗口人员态度生硬', indicators: ['501', '502'], caseNumbers: ['330100-2026-000123'] });
    expect(d.steps.map((s) => s.kind)).toEqual(['opened', 'contacted', 'rectifying', 'extended', 'done']);
    expect(d.steps.every((s) => s.actor === 'hub' || s.actor.startsWith('user:'))).toBe(true);
    expect((await post('transitions', { version: 5, to: 'unable', note: 'x' })).json()).toMatchObject({ code: 'HCP_CASE_STATE' });

    const other = seedCase(t.hub)!;
    const unable = await call(t.hub, 'POST', `/api/cases/${other}/transitions`, { token: tok.manager, body: { version: 1, to: 'unable', note: '评价人为匿名，无法回访' } });
    expect(unable.json()).toMatchObject({ state: 'unable', closeReason: '评价人为匿名，无法回访' });
  });

  it('appeal and review: window, one per case, no self-review, upheld excludes, rejected continues', async () => {
    const id = seedCase(t.hub)!; // Monday 11-23: appeals close when Thursday 11-26 begins
    const post = (what: string, body: unknown, token: string) => call(t.hub, 'POST', `/api/cases/${id}/${what}`, { token, body });
    expect((await post('review', { version: 1, decision: 'upheld', note: 'x' }, tok.manager)).json()).toMatchObject({ code: 'HCP_APPEAL_STATE' });
    const filed = await post('appeal', { version: 1, claim: 'mistaken', grounds: '评价人表示误按了“非常不满意”', staffId: 'staff-007' }, tok.manager);
    expect(filed.json<CaseDetail>()).toMatchObject({ version: 2, state: 'new', appeal: { state: 'pending', claim: 'mistaken', staffId: 'staff-007', reviewDueAt: cnIso('2026-11-27T00:00:00') } });
    expect((await post('appeal', { version: 2, claim: 'mistaken', grounds: 'again' }, tok.operator)).json()).toMatchObject({ code: 'HCP_APPEAL_STATE' });
    const self = await post('review', { version: 2, decision: 'upheld', note: '属实' }, tok.manager);
    expect([self.status, self.json<Err>().code]).toEqual([403, 'HCP_REVIEW_SELF']);
    const up = await post('review', { version: 2, decision: 'upheld', note: '回访评价人确认误按' }, tok.manager2);
    expect(up.json<CaseDetail>()).toMatchObject({ state: 'done', closeReason: 'appeal-upheld:mistaken', excluded: { reason: 'mistaken' }, appeal: { state: 'upheld' } });

    const id2 = seedCase(t.hub)!;
    await call(t.hub, 'POST', `/api/cases/${id2}/appeal`, { token: tok.operator, body: { version: 1, claim: 'malicious', grounds: '怀疑恶意' } });
    const rej = await call(t.hub, 'POST', `/api/cases/${id2}/review`, { token: tok.manager, body: { version: 2, decision: 'rejected', note: '无证据' } });
    expect(rej.json<CaseDetail>()).toMatchObject({ state: 'new', excluded: null, appeal: { state: 'rejected', decisionNote: '无证据' } });
    expect((await call(t.hub, 'POST', `/api/cases/${id2}/transitions`, { token: tok.operator, body: { version: 3, to: 'contacted', note: '继续回访' } })).status).toBe(200);

    const id3 = seedCase(t.hub, { at: cn('2026-11-17T10:00:00') })!; // Tuesday: Wed, Thu, Fri → closed when Saturday 11-21 began
    const late = await call(t.hub, 'POST', `/api/cases/${id3}/appeal`, { token: tok.operator, body: { version: 1, claim: 'mistaken', grounds: '迟到的申诉' } });
    expect([late.status, late.json()]).toMatchObject([409, { code: 'HCP_APPEAL_CLOSED', detail: { closedAt: cnIso('2026-11-21T00:00:00') } }]);
  });

  it('lists with filters (state, overdue, window, staff, days, appeal), overdue first, and pages', async () => {
    const list = async (q: string) => (await call(t.hub, 'GET', `/api/cases${q}`, { token: tok.auditor })).json<{ total: number; items: CaseView[] }>();
    const old = seedCase(t.hub, { at: cn('2026-11-02T10:00:00'), windowId: 'w-02', staffId: 'staff-008' })!; // long overdue
    const fresh = seedCase(t.hub, { windowId: 'w-02', staffId: null })!; // the window's staff
    const all = await list('?limit=200');
    expect(all.total).toBe(all.items.length);
    expect(all.items[0]!.id).toBe(old);
    expect(all.items[0]).toMatchObject({ overdue: true, windowName: 'w-02 窗口', staffName: '王晓燕' });
    expect((await list('?overdue=true')).items.map((c) => c.id)).toEqual([old]);
    expect((await list('?overdue=false&limit=200')).items.map((c) => c.id)).not.toContain(old);
    expect((await list('?windowId=w-02')).items.map((c) => c.id).sort()).toEqual([old, fresh].sort());
    expect((await list('?staffId=staff-008')).items.map((c) => c.id).sort()).toEqual([old, fresh].sort());
    expect((await list('?from=2026-11-01&to=2026-11-02')).items.map((c) => c.id)).toEqual([old]);
    expect((await list('?state=done&limit=200')).items.every((c) => c.state === 'done')).toBe(true);
    expect((await list('?state=closed&limit=200')).items.every((c) => c.state === 'done' || c.state === 'unable')).toBe(true);
    expect((await list('?state=open&limit=200')).items.every((c) => ['new', 'contacted', 'rectifying'].includes(c.state))).toBe(true);
    expect((await list('?appeal=any&limit=200')).items.every((c) => c.appeal.state !== 'none')).toBe(true);
    const p1 = await list('?limit=2&offset=0');
    const p2 = await list('?limit=2&offset=2');
    expect(p1.items).toHaveLength(2);
    expect(p2.items[0]!.id).not.toBe(p1.items[0]!.id);
    expect(p1.total).toBe(all.total);
  });

  it('shows the masked applicant of the session in the detail, never the clear data', async () => {
    const business = tok.business;
    const s = await call(t.hub, 'POST', '/api/sessions', {
      token: business,
      body: {
        windowId: 'w-01', caseNumbers: ['330100-2026-000999'], item: { code: '330100-000-XK-001', name: '食品经营许可' }, staffId: 'staff-007',
        applicant: { name: '张三丰', idType: '111', idNumber: '330106199001011234', phone: '13800138000', userType: 'person' },
      },
    });
    expect(s.status).toBe(201);
    const id = seedCase(t.hub, { sessionId: s.json<{ id: string }>().id })!;
    const r = await call(t.hub, 'GET', `/api/cases/${id}`, { token: tok.operator });
    expect(r.json<CaseDetail>().session).toEqual({ itemName: '食品经营许可', applicant: { name: '张**', idNumber: '330***********1234', phone: '138****8000' } });
    for (const secret of ['张三丰', '330106199001011234', '13800138000']) expect(JSON.stringify(r.body)).not.toContain(secret);
  });

  it('summarises counts with the policy, and exports them in /metrics', async () => {
    const sum = (await call(t.hub, 'GET', '/api/cases/summary', { token: tok.manager })).json<{ open: number; overdue: number; byState: Record<string, number>; policy: Record<string, number> }>();
    expect(sum.policy).toEqual({ rectifyDays: 10, appealDays: 3, reviewDays: 3, maxExtensions: 1, maxExtensionDays: 10 });
    expect(sum.open).toBe(sum.byState.new! + sum.byState.contacted! + sum.byState.rectifying!);
    expect(sum.overdue).toBeGreaterThanOrEqual(1);
    const metrics = (await t.hub.http.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`hcp_hub_cases_overdue ${sum.overdue}`);
    expect(metrics).toContain(`hcp_hub_cases_open{state="new"} ${sum.byState.new}`);
    expect(metrics).toMatch(/hcp_hub_case_actions_total\{action="contact",result="ok"\} [1-9]/);
    expect(metrics).toMatch(/hcp_hub_case_actions_total\{action="review",result="HCP_REVIEW_SELF"\} 1/);
  });
});
