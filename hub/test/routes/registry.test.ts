import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, tokenFor, provisionDevice, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';

describe('registry routes: halls, windows, staff (photo), devices', () => {
  let t: TestHub;
  let manager: string;
  let operator: string;
  let technician: string;
  let business: string;
  beforeAll(async () => {
    t = await startTestHub();
    manager = await tokenFor(t.hub, 'manager');
    operator = await tokenFor(t.hub, 'operator');
    technician = await tokenFor(t.hub, 'technician');
    business = await tokenFor(t.hub, 'business');
  });
  afterAll(async () => t?.stop());

  it('401 without credentials, 401 with a wrong token, 403 for the wrong role', async () => {
    for (const [m, u] of [['GET', '/api/halls'], ['POST', '/api/halls'], ['GET', '/api/windows'], ['GET', '/api/staff'], ['GET', '/api/devices'], ['PATCH', '/api/windows/w-1'], ['DELETE', '/api/staff/x']] as const) {
      const r = await call(t.hub, m, u, { body: m === 'GET' || m === 'DELETE' ? undefined : {} });
      expect(r.status, `${m} ${u}`).toBe(401);
      expect(r.json()).toMatchObject({ code: 'HCP_AUTH_REQUIRED' });
    }
    expect((await call(t.hub, 'GET', '/api/halls', { token: 'nope' })).status).toBe(401);
    const f = await call(t.hub, 'POST', '/api/halls', { token: operator, body: { id: 'hall-2', name: '分厅' } });
    expect(f.status).toBe(403);
    expect(f.json()).toMatchObject({ code: 'HCP_FORBIDDEN' });
    expect((await call(t.hub, 'GET', '/api/halls', { token: business })).status).toBe(403);
    // a business system may list windows and staff (it opens sessions by their ids), not change them
    expect((await call(t.hub, 'GET', '/api/windows', { token: business })).status).toBe(200);
    expect((await call(t.hub, 'GET', '/api/staff', { token: business })).status).toBe(200);
    expect((await call(t.hub, 'POST', '/api/windows', { token: business, body: { id: 'w-x', hallId: 'hall-1', name: 'x' } })).status).toBe(403);
    expect((await call(t.hub, 'GET', '/api/devices', { token: business })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/staff', { token: technician, body: { id: 's', name: 'x', number: '1' } })).status).toBe(403);
  });

  it('halls CRUD with audit, 400 with field errors on bad bodies, 409 on duplicates', async () => {
    const bad = await call(t.hub, 'POST', '/api/halls', { token: manager, body: { id: 'Bad Id!', extra: 1 } });
    expect(bad.status).toBe(400);
    const e = bad.json<{ code: string; detail: { errors: { field: string; rule: string }[] } }>();
    expect(e.code).toBe('HCP_VALIDATION');
    expect(e.detail.errors.length).toBeGreaterThan(0);
    expect(e.detail.errors[0]).toHaveProperty('field');
    expect(e.detail.errors[0]).toHaveProperty('rule');
    const malformed = await call(t.hub, 'POST', '/api/halls', { token: manager, raw: '{"id":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'HCP_JSON_MALFORMED' });

    const c = await call(t.hub, 'POST', '/api/halls', { token: manager, body: { id: 'hall-2', name: '西湖分厅', address: '文三路 1 号' } });
    expect(c.status).toBe(201);
    expect(c.json()).toMatchObject({ id: 'hall-2', name: '西湖分厅', address: '文三路 1 号' });
    expect((await call(t.hub, 'POST', '/api/halls', { token: manager, body: { id: 'hall-2', name: 'x' } })).status).toBe(409);
    expect((await call(t.hub, 'PATCH', '/api/halls/hall-2', { token: manager, body: { name: '西湖' } })).json()).toMatchObject({ name: '西湖' });
    expect((await call(t.hub, 'PATCH', '/api/halls/hall-2', { token: manager, body: {} })).status).toBe(400);
    expect((await call(t.hub, 'GET', '/api/halls', { token: operator })).json<unknown[]>().length).toBe(2);
    expect((await call(t.hub, 'GET', '/api/halls/hall-9', { token: operator })).status).toBe(404);
    expect((await call(t.hub, 'DELETE', '/api/halls/hall-2', { token: manager })).status).toBe(204);
    const audit = t.hub.services.audit.list(10).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['hall.create', 'hall.update', 'hall.delete']));
    expect(t.hub.services.audit.list(10).find((a) => a.action === 'hall.delete')!.actor).toMatch(/^user:manager-/);
  });

  it('staff CRUD and photo upload / serve', async () => {
    expect((await call(t.hub, 'POST', '/api/staff', { token: manager, body: { id: 'staff-1', name: '李娜', number: 'A01', starLevel: 9 } })).status).toBe(400);
    expect((await call(t.hub, 'POST', '/api/staff', { token: manager, body: { id: 'staff-1', name: '李娜', number: 'A01', starLevel: 4 } })).status).toBe(201);
    expect((await call(t.hub, 'GET', '/api/staff/staff-1', { token: operator })).json()).toMatchObject({ name: '李娜', hasPhoto: false, active: true });
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect((await call(t.hub, 'PUT', '/api/staff/staff-1/photo', { token: manager, raw: png, headers: { 'content-type': 'image/png' } })).status).toBe(204);
    expect((await call(t.hub, 'PUT', '/api/staff/staff-1/photo', { token: manager, raw: 'text', headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    expect((await call(t.hub, 'PUT', '/api/staff/nobody/photo', { token: manager, raw: png, headers: { 'content-type': 'image/png' } })).status).toBe(404);
    const got = await t.hub.http.inject({ method: 'GET', url: '/api/staff/staff-1/photo' });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.rawPayload.equals(png)).toBe(true);
    expect((await call(t.hub, 'PATCH', '/api/staff/staff-1', { token: manager, body: { active: false, title: '综合窗口' } })).json()).toMatchObject({ active: false, title: '综合窗口', hasPhoto: true });
    expect((await call(t.hub, 'DELETE', '/api/staff/staff-1', { token: manager })).status).toBe(204);
    expect((await call(t.hub, 'GET', '/api/staff/staff-1/photo')).status).toBe(404);
  });

  it('windows CRUD; referencing a missing hall is 404', async () => {
    expect((await call(t.hub, 'POST', '/api/windows', { token: manager, body: { id: 'w-9', hallId: 'hall-x', name: '9 号' } })).status).toBe(404);
    expect((await call(t.hub, 'POST', '/api/windows', { token: manager, body: { id: 'w-9', hallId: 'hall-1' } })).status).toBe(400);
    expect((await call(t.hub, 'POST', '/api/windows', { token: manager, body: { id: 'w-9', hallId: 'hall-1', name: '9 号窗口' } })).status).toBe(201);
    expect((await call(t.hub, 'GET', '/api/windows?hallId=hall-1', { token: operator })).json<{ id: string }[]>().map((w) => w.id)).toContain('w-9');
    expect((await call(t.hub, 'GET', '/api/windows?bogus=1', { token: operator })).status).toBe(400);
    expect((await call(t.hub, 'PATCH', '/api/windows/w-9', { token: manager, body: { name: '九号窗口' } })).json()).toMatchObject({ name: '九号窗口', deviceId: null });
    expect((await call(t.hub, 'DELETE', '/api/windows/w-9', { token: manager })).status).toBe(204);
    expect((await call(t.hub, 'GET', '/api/windows/w-9', { token: operator })).status).toBe(404);
  });

  it('devices: list, get, move (technician), decommission; unknown ids', async () => {
    const p = provisionDevice(t.hub, 'w-01');
    expect((await call(t.hub, 'GET', '/api/devices', { token: operator })).json<{ id: string }[]>().map((d) => d.id)).toContain(p.deviceId);
    expect((await call(t.hub, 'GET', `/api/devices/${p.deviceId}`, { token: operator })).json()).toMatchObject({ windowId: 'w-01', state: 'active' });
    expect((await call(t.hub, 'GET', '/api/devices/dev-none', { token: operator })).json()).toMatchObject({ code: 'HCP_DEVICE_UNKNOWN' });
    expect((await call(t.hub, 'PATCH', `/api/devices/${p.deviceId}`, { token: operator, body: { windowId: null } })).status).toBe(403);
    expect((await call(t.hub, 'PATCH', `/api/devices/${p.deviceId}`, { token: technician, body: { windowId: 'w-nowhere' } })).status).toBe(404);
    expect((await call(t.hub, 'PATCH', `/api/devices/${p.deviceId}`, { token: technician, body: { windowId: 5 } })).status).toBe(400);
    expect((await call(t.hub, 'PATCH', `/api/devices/${p.deviceId}`, { token: technician, body: { windowId: null } })).json()).toMatchObject({ windowId: null });
    expect((await call(t.hub, 'POST', `/api/devices/${p.deviceId}/decommission`, { token: operator })).status).toBe(403);
    expect((await call(t.hub, 'POST', `/api/devices/${p.deviceId}/decommission`, { token: technician })).json()).toEqual({ disconnected: false });
    expect((await call(t.hub, 'POST', `/api/devices/${p.deviceId}/decommission`, { token: technician })).status).toBe(409);
    expect((await call(t.hub, 'GET', `/api/devices/${p.deviceId}`, { token: operator })).json()).toMatchObject({ state: 'revoked' });
  });
});
