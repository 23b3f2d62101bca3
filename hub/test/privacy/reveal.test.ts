/**
 * POST /api/sessions/:id/applicant: the only unmasked view of an applicant. Logged-in manager or
 * auditor with a reason; every reveal and every refusal in the handler audit-logged (without the
 * values); 401/403/400/404 coded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionOpenRequest } from '@hcp/protocol';
import { provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';

const APPLICANT = { name: '欧阳娜娜', idType: '111', idNumber: '110101199003077777', phone: '13912349876', userType: 'person' as const };

describe('applicant reveal', () => {
  let t: TestHub;
  let withApplicant: string;
  let without: string;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestHub();
    provisionDevice(t.hub, 'w-01');
    for (const r of ['manager', 'auditor', 'operator', 'technician', 'business', 'admin'] as const) tok[r] = await tokenFor(t.hub, r);
    tok.auditorToken = t.hub.services.operators.createToken('audit-robot', 'auditor', 'test').token;
    const open = async (over: Partial<SessionOpenRequest>) => (await call(t.hub, 'POST', '/api/sessions', {
      token: tok.business, body: { windowId: 'w-01', caseNumbers: [`C-${Math.random().toString(36).slice(2, 10)}`], item: { code: 'X', name: '事项' }, staffId: 'staff-007', ...over },
    })).json<{ id: string }>().id;
    withApplicant = await open({ applicant: APPLICANT });
    without = await open({});
  });
  afterAll(async () => {
    await t?.stop();
  });

  const reveal = (token: string | undefined, id: string, body: unknown = { reason: '差评回访：联系评价人核实情况' }) =>
    call(t.hub, 'POST', `/api/sessions/${id}/applicant`, { ...(token ? { token } : {}), body });
  const auditOf = (action: string) => t.hub.services.audit.list(200).filter((a) => a.action === action);

  it('refuses without login (401), for other roles (403), for an API token and for admin (403, audited)', async () => {
    expect((await reveal(undefined, withApplicant)).status).toBe(401);
    for (const r of ['operator', 'technician', 'business']) {
      const res = await reveal(tok[r], withApplicant);
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ code: 'HCP_FORBIDDEN' });
    }
    for (const [who, why] of [['auditorToken', 'api-token'], ['admin', 'admin']] as const) {
      const res = await reveal(tok[who], withApplicant);
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain(APPLICANT.name);
      expect(auditOf('personal-data.reveal-refused').some((a) => (a.detail as { refused: string }).refused === why)).toBe(true);
    }
    expect(auditOf('personal-data.reveal')).toHaveLength(0);
  });

  it('needs a reason: 400 lists the field', async () => {
    for (const body of [{}, { reason: 'ab' }, { reason: '    ' }, { reason: '回访核实', extra: 1 }]) {
      const res = await reveal(tok.manager, withApplicant, body);
      expect(res.status).toBe(400);
      expect(res.json<{ code: string; detail: { errors: { field: string }[] } }>().detail.errors.map((e) => e.field).join(' ')).toMatch(/reason|extra/);
    }
    expect((await reveal(tok.manager, 'not-a-session')).status).toBe(400);
  });

  it('404 for an unknown session and HCP_NO_APPLICANT for a session without applicant (both audited)', async () => {
    const unknown = await reveal(tok.manager, 's-00000000-0000-7000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'HCP_NOT_FOUND' });
    const none = await reveal(tok.auditor, without);
    expect(none.status).toBe(404);
    expect(none.json()).toMatchObject({ code: 'HCP_NO_APPLICANT' });
    expect(auditOf('personal-data.reveal-refused').map((a) => (a.detail as { refused: string }).refused)).toEqual(expect.arrayContaining(['no-session', 'no-applicant']));
  });

  it('shows the data to a manager and an auditor, uncached, and logs who, when, which session and why — never the values', async () => {
    for (const who of ['manager', 'auditor']) {
      const res = await reveal(tok[who], withApplicant, { reason: `差评回访 case-42 (${who})` });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const b = res.json<{ applicant: Record<string, unknown>; auditId: number; revealedBy: string }>();
      expect(b.applicant).toEqual({
        name: '欧阳娜娜', idType: '111', idTypeName: '居民身份证', idNumber: '110101199003077777', phone: '13912349876', userType: 'person', userTypeName: '自然人',
      });
      const entry = t.hub.services.audit.list(200).find((a) => a.id === b.auditId)!;
      expect(entry).toMatchObject({ action: 'personal-data.reveal', actor: b.revealedBy, target: `session:${withApplicant}`, detail: { reason: `差评回访 case-42 (${who})`, role: who } });
      expect(entry.actor).toMatch(new RegExp(`^user:${who}-`));
      expect(Date.parse(entry.at)).toBeGreaterThan(0);
    }
    const all = JSON.stringify(t.hub.services.audit.list(500));
    for (const v of [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone]) expect(all).not.toContain(v);
    // the ordinary view stays masked
    expect((await call(t.hub, 'GET', `/api/sessions/${withApplicant}`, { token: tok.manager })).json()).toMatchObject({ applicant: { name: '欧***', idNumber: '110***********7777', phone: '139****9876' } });
    expect(String((await call(t.hub, 'GET', '/metrics')).body)).toMatch(/hcp_hub_personal_data_reveals_total\{result="ok"\} 2/);
  });
});
