import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';

describe('system routes, OpenAPI and the role guard', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => t?.stop());

  it('GET /healthz reports db and mqtt', async () => {
    expect((await call(t.hub, 'GET', '/healthz')).json()).toEqual({ status: 'ok', db: true, mqtt: true });
  });

  it('GET /metrics is Prometheus text with hub counters and gauges', async () => {
    const r = await t.hub.http.inject({ method: 'GET', url: '/metrics' });
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/# TYPE hcp_hub_mqtt_clients gauge\nhcp_hub_mqtt_clients \d+/);
    expect(r.body).toContain('# TYPE hcp_hub_inbox_queue gauge');
  });

  it('GET /api/openapi.json documents the API; /api/docs serves the UI', async () => {
    const doc = (await call(t.hub, 'GET', '/api/openapi.json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/sessions', '/api/provision/exchange', '/api/devices/claim', '/api/halls', '/api/staff/{id}/photo', '/api/mqtt/auth']) expect(Object.keys(doc.paths)).toContain(p);
    const ui = await t.hub.http.inject({ method: 'GET', url: '/api/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('unknown routes answer 404 in the error shape', async () => {
    expect((await call(t.hub, 'GET', '/api/nothing-here')).json()).toMatchObject({ code: 'HCP_NOT_FOUND' });
  });

  it('every route declares roles or is explicitly public, and the public ones are the intended few', async () => {
    const f = t.hub.buildHttp();
    const routes: { method: string; url: string; config?: { roles?: unknown; public?: boolean } }[] = [];
    f.addHook('onRoute', (r) => {
      routes.push({ method: String(r.method), url: r.url, config: r.config as { roles?: unknown; public?: boolean } });
    });
    await f.ready();
    expect(routes.length).toBeGreaterThan(30);
    // swagger-ui's routes are made public by app.ts's own onRoute hook, which runs after this one
    const undeclared = routes.filter((r) => !r.config?.public && !Array.isArray(r.config?.roles) && r.method !== 'HEAD' && !r.url.startsWith('/api/docs'));
    expect(undeclared).toEqual([]);
    const open = routes.filter((r) => r.config?.public && !r.url.startsWith('/api/docs') && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`).sort();
    // the phone rating page is public but each request needs a signed, unexpired link token; the
    // public results page carries no personal or staff data (docs/statistics.md)
    expect(open).toEqual([
      'GET /', 'GET /api/m/r/:token', 'GET /api/openapi.json', 'GET /api/public/results', 'GET /api/staff/:id/photo', 'GET /dashboard/:file',
      'GET /healthz', 'GET /login', 'GET /m/:file', 'GET /m/r/:token', 'GET /metrics', 'GET /public/results',
      'POST /api/auth/login', 'POST /api/m/r/:token/ratings', 'POST /api/provision/exchange',
    ]);
    await f.close();
  });
});
