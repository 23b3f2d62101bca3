/**
 * GET /api/misuse and POST /api/misuse/ack on a real hub: device ratings published over MQTT raise
 * flags through the hub's own ingest hook; roles (401/403), 400 with fields, 404/409, audit.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock, provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';

interface FlagOut { id: number; rule: string; ratingId: string; windowName: string; staffName: string; state: string; ackBy: string | null }

describe('misuse API', () => {
  let t: TestHub;
  let dev: DevicePublisher;
  const tokens: Record<string, string> = {};
  const ids: string[] = [];

  beforeAll(async () => {
    // 07:00 China time on a working day: before opening hours
    t = await startTestHub({}, { clock: new FakeClock(Date.parse('2026-11-17T23:00:00.000Z')) });
    dev = await new DevicePublisher(provisionDevice(t.hub, 'w-01')).connect();
    for (const role of ['operator', 'manager', 'auditor', 'technician', 'business'] as const) tokens[role] = await tokenFor(t.hub, role);
    const base = Date.parse('2026-11-17T23:00:00.000Z');
    const ratings = [0, 5, 10, 15, 20].map((s) => makeRating(dev.creds, { level: 5, givenAt: new Date(base + s * 1000).toISOString() }));
    ratings.push(makeRating(dev.creds, { level: 3, origin: 'walk-up', flags: ['walk-up'], caseNumbers: [], givenAt: new Date(base + 3_600_000 * 3).toISOString() }));
    await dev.publishRatings(ratings);
    expect((await dev.waitAcks(ratings.map((r) => r.id))).every((a) => a.result === 'stored')).toBe(true);
    ids.push(...ratings.map((r) => r.id));
    // the rules judge stored ratings shortly after their commit (hub/src/misuse), not before the ack
    await vi.waitFor(() => expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM misuse_flags').get()).toEqual({ n: 16 }), { timeout: 5_000, interval: 20 });
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  it('needs a read role: 401 without, 403 for a business token; lists flags with window and staff names', async () => {
    expect((await call(t.hub, 'GET', '/api/misuse')).status).toBe(401);
    expect((await call(t.hub, 'GET', '/api/misuse', { token: tokens.business })).status).toBe(403);
    for (const role of ['operator', 'manager', 'auditor', 'technician']) expect((await call(t.hub, 'GET', '/api/misuse', { token: tokens[role] })).status).toBe(200);
    const res = await call(t.hub, 'GET', '/api/misuse', { token: tokens.auditor });
    const body = res.json<{ items: FlagOut[]; open: Record<string, number>; options: { topBurstCount: number } }>();
    // five staff-key top ratings in 20 s (top-burst, staff-key-burst) before opening (off-hours); the walk-up at 10:00 is inside the hours
    expect(body.open).toEqual({ 'top-burst': 5, 'off-hours': 5, 'walk-up': 1, 'fast-after-open': 0, 'staff-key-burst': 5 });
    expect(body.items).toHaveLength(16);
    expect(body.items[0]).toMatchObject({ windowName: 'w-01 窗口', staffName: '王晓燕', state: 'open' });
    expect(body.options.topBurstCount).toBe(5);
    const only = await call(t.hub, 'GET', '/api/misuse?rule=walk-up&state=open', { token: tokens.operator });
    expect(only.json<{ items: FlagOut[] }>().items.map((f) => f.ratingId)).toEqual([ids[5]]);
    const bad = await call(t.hub, 'GET', '/api/misuse?rule=nope&limit=0', { token: tokens.operator });
    expect(bad.status).toBe(400);
    expect(bad.json<{ detail: { errors: { field: string }[] } }>().detail.errors.map((e) => e.field).join(' ')).toMatch(/rule|limit/);
    // the ratings themselves are untouched
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings').get()).toEqual({ n: 6 });
  });

  it('acknowledges by operator or manager only, with a note, audited; 400/404/409 coded', async () => {
    const list = (await call(t.hub, 'GET', '/api/misuse?rule=top-burst', { token: tokens.operator })).json<{ items: FlagOut[] }>().items;
    const two = list.slice(0, 2).map((f) => f.id);
    expect((await call(t.hub, 'POST', '/api/misuse/ack', { body: { ids: two, note: '已核实' } })).status).toBe(401);
    for (const role of ['auditor', 'technician', 'business']) {
      expect((await call(t.hub, 'POST', '/api/misuse/ack', { token: tokens[role], body: { ids: two, note: '已核实' } })).status).toBe(403);
    }
    const bad = await call(t.hub, 'POST', '/api/misuse/ack', { token: tokens.operator, body: { ids: [], note: '' } });
    expect(bad.status).toBe(400);
    expect([...new Set(bad.json<{ code: string; detail: { errors: { field: string }[] } }>().detail.errors.map((e) => e.field))].sort()).toEqual(['/ids', '/note']);
    expect((await call(t.hub, 'POST', '/api/misuse/ack', { token: tokens.operator, body: { ids: [999_999], note: '已核实' } })).json()).toMatchObject({ code: 'HCP_NOT_FOUND' });
    const ok = await call(t.hub, 'POST', '/api/misuse/ack', { token: tokens.operator, body: { ids: two, note: '已核实：窗口前排队团体办件' } });
    expect(ok.status).toBe(200);
    expect(ok.json<{ items: FlagOut[] }>().items.map((f) => f.state)).toEqual(['acknowledged', 'acknowledged']);
    const again = await call(t.hub, 'POST', '/api/misuse/ack', { token: tokens.manager, body: { ids: two, note: '再次确认' } });
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ code: 'HCP_CONFLICT' });
    const audit = await call(t.hub, 'GET', '/api/audit?limit=50', { token: tokens.auditor });
    expect(audit.status).toBe(200);
    const entries = audit.body as { action: string; actor: string; detail: { note: string } }[];
    expect(entries.filter((e) => e.action === 'misuse.acknowledge')).toHaveLength(2);
    expect(entries.find((e) => e.action === 'misuse.acknowledge')).toMatchObject({ actor: expect.stringMatching(/operator/), detail: { note: '已核实：窗口前排队团体办件' } });
    const open = (await call(t.hub, 'GET', '/api/misuse', { token: tokens.operator })).json<{ open: Record<string, number> }>().open;
    expect(open['top-burst']).toBe(3);
    expect(String((await call(t.hub, 'GET', '/metrics')).body)).toMatch(/hcp_hub_misuse_flags_open\{rule="top-burst"\} 3/);
  });
});
