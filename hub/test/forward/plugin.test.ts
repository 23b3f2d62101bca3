import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin } from '../../src/http/auth.js';
import { installErrorHandling, validatorCompiler } from '../../src/http/errors.js';
import { WorkingCalendar } from '../../src/forward/calendar.js';
import { Forwarder } from '../../src/forward/forwarder.js';
import { hubUnratedSessions, sessionContextSource } from '../../src/forward/hub-sources.js';
import { forwardRoutes } from '../../src/forward/plugin.js';
import { loadProfile } from '../../src/forward/profile.js';
import { startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { rating, silent } from './helpers.js';

describe('forward routes', () => {
  let th: TestHub;
  let app: FastifyInstance;
  let fwd: Forwarder;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    th = await startTestHub();
    const hub = th.hub;
    fwd = new Forwarder({
      db: hub.db, clock: hub.clock, log: silent, hallId: hub.config.hallId, audit: hub.services.audit,
      profile: loadProfile({ name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:9', credentials: { appId: 'a', secret: 'never-shown' } }),
      applicants: () => ({ name: '张三', idType: '111', idNumber: '330102199001011237', userType: 'person' }),
      context: sessionContextSource(hub.db), calendar: WorkingCalendar.china(), sessions: hubUnratedSessions(hub.db),
    });
    // two records the province refused for good
    fwd.outbox.enqueue(rating({ cases: ['X-1', 'X-2'], level: 2, indicators: ['999'] }), { staffName: '王晓燕' }, Date.now());
    const rows = fwd.outbox.claim(10, Date.now());
    fwd.outbox.complete(rows.map((r) => ({ seq: r.seq, kind: 'dead' as const, code: 'E_INDICATOR_UNKNOWN', reason: 'evalDetail 含未知指标代码 999' })), Date.now());
    app = Fastify({ logger: false });
    app.setValidatorCompiler(validatorCompiler);
    installErrorHandling(app);
    await app.register(cookie);
    await app.register(authPlugin, { operators: hub.services.operators });
    await app.register(forwardRoutes, { forwarder: fwd });
    await app.ready();
    for (const role of ['technician', 'operator', 'manager', 'auditor'] as const) tokens[role] = await tokenFor(hub, role);
  });
  afterAll(async () => {
    await app?.close();
    await th?.stop();
  });

  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, role?: string, body?: unknown) => {
    const res = await app.inject({ method, url, headers: role ? { authorization: `Bearer ${tokens[role]}` } : {}, ...(body !== undefined ? { payload: body as object } : {}) });
    return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> & unknown[] };
  };

  it('requires a login and the right role', async () => {
    expect((await call('GET', '/api/forward/backlog')).status).toBe(401);
    expect((await call('GET', '/api/forward/backlog', 'technician')).body).toMatchObject({ backlog: 0, deadOpen: 2 });
    expect((await call('GET', '/api/forward/dead-letters', 'technician')).status).toBe(403);
    expect((await call('POST', '/api/forward/dead-letters/1/retry', 'auditor', {})).status).toBe(403);
  });

  it('shows the profile without its secret', async () => {
    const r = await call('GET', '/api/forward/status', 'operator');
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain('never-shown');
    expect(r.body).toMatchObject({ profile: { name: 'generic', adapter: 'generic-json' }, backlog: { deadOpen: 2 } });
  });

  it('lists dead letters with the province reason and a preview without personal data', async () => {
    const r = await call('GET', '/api/forward/dead-letters?state=open', 'auditor');
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(2);
    expect(r.body[0]).toMatchObject({ code: 'E_INDICATOR_UNKNOWN', reason: 'evalDetail 含未知指标代码 999', state: 'open', record: { evalDetail: '999', proManager: '王晓燕' } });
    expect(JSON.stringify(r.body)).not.toContain('张三');
  });

  it('correct-and-retry and discard are audited; protected fields and closed letters are refused', async () => {
    const [a, b] = (await call('GET', '/api/forward/dead-letters?state=open', 'operator')).body as { id: number }[];
    const bad = await call('POST', `/api/forward/dead-letters/${a!.id}/retry`, 'operator', { corrections: { projectNo: 'Y' } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'HCP_VALIDATION' } });
    expect(await call('POST', `/api/forward/dead-letters/${a!.id}/retry`, 'operator', { corrections: { evalDetail: '501' }, note: '指标已更正' }))
      .toMatchObject({ status: 200, body: { state: 'retried', overrides: { evalDetail: '501' } } });
    expect((await call('POST', `/api/forward/dead-letters/${a!.id}/retry`, 'operator', {})).body).toMatchObject({ code: 'HCP_CONFLICT' });
    expect((await call('POST', `/api/forward/dead-letters/${b!.id}/discard`, 'manager', {})).status).toBe(400);
    expect((await call('POST', `/api/forward/dead-letters/${b!.id}/discard`, 'manager', { note: '办件已撤回' })).body).toMatchObject({ state: 'discarded' });
    expect((await call('POST', '/api/forward/dead-letters/99999/discard', 'manager', { note: 'x' })).status).toBe(404);
    const actions = th.hub.services.audit.list(20).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['forward.dead-letter.retry', 'forward.dead-letter.discard']));
    expect((await call('GET', '/api/forward/backlog', 'operator')).body).toMatchObject({ backlog: 1, deadOpen: 0 });
  });

  it('stores a hand-made indicator list (manager) and refuses to push without a device link', async () => {
    expect((await call('PUT', '/api/forward/indicators', 'operator', { version: 'v1', items: [] })).status).toBe(403);
    expect((await call('PUT', '/api/forward/indicators', 'manager', { version: 'v1', items: [{ code: '501', name: '服务态度差' }] })).body).toEqual({ version: 'v1', added: true });
    expect((await call('PUT', '/api/forward/indicators', 'manager', { version: 'v1', items: [{ code: 'bad!', name: 'x' }] })).status).toBe(400);
    expect((await call('GET', '/api/forward/indicators', 'technician')).body).toMatchObject({ current: { version: 'v1' } });
    expect((await call('POST', '/api/forward/indicators/push', 'manager')).body).toMatchObject({ code: 'HCP_UNAVAILABLE' });
  });
});
