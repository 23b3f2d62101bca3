/**
 * The dashboard plugin over real HTTP inject against a real hub: page routing by session, asset
 * serving without path tricks, ECharts from node_modules, and the ratings feed / statistics APIs
 * (cursor, roles, no personal data, exact tallies per local day, window and staff).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { FakeClock, provisionDevice, seedWindow, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';

describe('dashboard plugin and API', () => {
  // 2026-11-21 02:00Z is 10:00 in the hall (UTC+8)
  const clock = new FakeClock(Date.parse('2026-11-21T02:00:00.000Z'));
  let th: TestHub;
  let dev: DevicePublisher;
  let op: string;
  const ids: string[] = [];

  beforeAll(async () => {
    th = await startTestHub({}, { clock });
    seedWindow(th.hub, 'w-02', 'staff-008');
    dev = await new DevicePublisher(provisionDevice(th.hub, 'w-01')).connect();
    // yesterday 23:30 local (15:30Z on the 20th), today 09:00 and 09:30 local
    const ratings = [
      makeRating(dev.creds, { level: 5, givenAt: '2026-11-20T15:30:00.000Z', caseNumbers: ['CASE-SECRET-1'] }),
      makeRating(dev.creds, { level: 1, givenAt: '2026-11-21T01:00:00.000Z', indicators: ['501'] }),
      makeRating(dev.creds, { level: 3, givenAt: '2026-11-21T01:30:00.000Z', staffId: 'staff-008' }),
    ];
    for (const r of ratings) ids.push(r.id);
    await dev.publishRatings(ratings);
    await dev.waitAcks(ids);
    op = await tokenFor(th.hub, 'operator');
  });
  afterAll(async () => {
    await dev?.close();
    await th?.stop();
  });

  const get = (url: string, token?: string) => th.hub.http.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('redirects / to the login page without a session and serves the app with one', async () => {
    const anon = await get('/');
    expect(anon.statusCode).toBe(302);
    expect(anon.headers.location).toBe('/login');
    const login = await get('/login');
    expect(login.statusCode).toBe(200);
    expect(login.body).toContain('好差评大厅管理台');
    const page = await th.hub.http.inject({ method: 'GET', url: '/', cookies: { hcp_session: op } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/dashboard/app.js');
    // an API token (a machine) is not a dashboard user
    const machine = await get('/', await tokenFor(th.hub, 'business'));
    expect(machine.statusCode).toBe(302);
  });

  it('serves only the files of its asset folder, and ECharts from node_modules', async () => {
    expect((await get('/dashboard/app.js')).headers['content-type']).toContain('text/javascript');
    const echarts = await get('/dashboard/echarts.min.js');
    expect(echarts.statusCode).toBe(200);
    expect(echarts.body.length).toBeGreaterThan(500_000);
    expect((await get('/dashboard/nothing.js')).statusCode).toBe(404);
    expect((await get('/dashboard/..%2Fsrc%2Fdashboard%2Fplugin.ts')).statusCode).toBe(400);
    expect((await get('/dashboard/index.html')).statusCode).toBe(404); // pages only through / (session check)
  });

  it('lists ratings newest first with a cursor, without case numbers or applicant data', async () => {
    expect((await get('/api/dashboard/ratings')).statusCode).toBe(401);
    expect((await get('/api/dashboard/ratings', await tokenFor(th.hub, 'business'))).statusCode).toBe(403);
    const all = (await get('/api/dashboard/ratings', op)).json<{ items: { id: string; level: number; staffId: string | null; staffName: string | null; windowName: string | null; reasons: { code: string }[] }[]; cursor: number }>();
    expect(all.items.map((r) => r.id)).toEqual([...ids].reverse());
    expect(all.items[1]).toMatchObject({ level: 1, reasons: [{ code: '501', name: null }], staffName: '王晓燕', windowName: 'w-01 窗口' });
    expect(all.items[0]).toMatchObject({ level: 3, staffId: 'staff-008' });
    expect(JSON.stringify(all)).not.toContain('CASE-SECRET');
    const none = (await get(`/api/dashboard/ratings?after=${all.cursor}`, op)).json<{ items: unknown[]; cursor: number }>();
    expect(none).toEqual({ items: [], cursor: all.cursor });
    // given long before the statistics window below
    const one = makeRating(dev.creds, { level: 4, givenAt: '2026-10-01T02:00:00.000Z' });
    await dev.publishRatings([one]);
    await dev.waitAcks([one.id]);
    const newer = (await get(`/api/dashboard/ratings?after=${all.cursor}`, op)).json<{ items: { id: string }[]; cursor: number }>();
    expect(newer.items.map((r) => r.id)).toEqual([one.id]);
    expect(newer.cursor).toBeGreaterThan(all.cursor);
    expect((await get('/api/dashboard/ratings?limit=0', op)).statusCode).toBe(400);
  });

  it('tallies satisfaction per local day, window and staff', async () => {
    const s = (await get('/api/dashboard/stats?days=3', op)).json<{
      from: string; days: { date: string; total: number; good: number; bad: number; avg: number | null }[];
      windows: { id: string; total: number }[]; staff: { id: string; name: string | null; total: number; good: number; bad: number; avg: number }[];
      items: unknown[];
      levels: { level: number; count: number }[];
    }>();
    expect(s.from).toBe('2026-11-18T16:00:00.000Z'); // local midnight of the 19th
    const today = s.days.find((d) => d.date === '2026-11-21')!;
    expect(s.days.map((d) => d.date)).toEqual(['2026-11-19', '2026-11-20', '2026-11-21']);
    expect(s.days[0]).toEqual({ date: '2026-11-19', total: 0, good: 0, bad: 0, avg: null });
    expect(s.days[1]).toEqual({ date: '2026-11-20', total: 1, good: 1, bad: 0, avg: 5 });
    // 好评 is levels 3–5 (基本满意 counts, as in the national table; docs/statistics.md)
    expect(today).toMatchObject({ total: 2, good: 1, bad: 1, avg: 2 });
    expect(s.windows).toEqual([{ id: 'w-01', name: 'w-01 窗口', total: 3, good: 2, bad: 1, avg: 3 }]);
    expect(s.staff.map((x) => [x.id, x.total])).toEqual([['staff-007', 2], ['staff-008', 1]]);
    // makeRating's item code; no session named it
    expect(s.items).toEqual([{ id: '330100-000-XK-001', name: null, total: 3, good: 2, bad: 1, avg: 3 }]);
    expect(s.levels).toEqual([{ level: 1, count: 1 }, { level: 3, count: 1 }, { level: 5, count: 1 }]);
  });
});
