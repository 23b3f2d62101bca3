import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, type SessionOpenRequest } from '@hcp/protocol';
import { provisionDevice, seedWindow, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating, until } from '../helpers/publisher.js';
import { WebhookSink } from '../helpers/webhook-sink.js';
import { verifyRateToken } from '../../src/sessions/rate-link.js';

const open = (over: Partial<SessionOpenRequest> = {}): SessionOpenRequest => ({
  windowId: 'w-01',
  caseNumbers: ['330100-2026-000123', '330100-2026-000124'],
  item: { code: '330100-000-XK-001', name: '食品经营许可' },
  staffId: 'staff-007',
  applicant: { name: '张三丰', idType: '111', idNumber: '330106199001011234', phone: '13800138000', userType: 'person' },
  externalRef: 'queue-42',
  ...over,
});

describe('sessions API', () => {
  let t: TestHub;
  let sink: WebhookSink;
  let business: string;
  let operator: string;
  let dev: DevicePublisher;
  beforeAll(async () => {
    sink = await new WebhookSink().start();
    t = await startTestHub({ webhookUrl: sink.url, publicUrl: 'http://hub.local:8080' });
    const p = provisionDevice(t.hub, 'w-01');
    seedWindow(t.hub, 'w-empty');
    dev = await new DevicePublisher(p).connect();
    business = await tokenFor(t.hub, 'business');
    operator = await tokenFor(t.hub, 'operator');
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
    await sink?.stop();
  });

  it('refuses without a token (401), with an operator login (403), and bad bodies (400 with fields)', async () => {
    expect((await call(t.hub, 'POST', '/api/sessions', { body: open() })).status).toBe(401);
    expect((await call(t.hub, 'POST', '/api/sessions', { token: operator, body: open() })).status).toBe(403);
    const bad = await call(t.hub, 'POST', '/api/sessions', { token: business, body: { ...open(), caseNumbers: [], applicant: { name: 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.json<{ detail: { errors: { field: string }[] } }>().detail.errors.map((e) => e.field).join(' ')).toMatch(/caseNumbers|applicant/);
    expect((await call(t.hub, 'POST', '/api/sessions', { token: business, body: open({ windowId: 'w-none' }) })).status).toBe(404);
    expect((await call(t.hub, 'POST', '/api/sessions', { token: business, body: open({ staffId: 'nobody' }) })).status).toBe(404);
    expect((await call(t.hub, 'POST', '/api/sessions', { token: business, body: open({ windowId: 'w-empty' }) })).json()).toMatchObject({ code: 'HCP_WINDOW_NO_DEVICE' });
    expect((await call(t.hub, 'GET', '/api/sessions/s-00000000-0000-7000-8000-000000000000')).status).toBe(401);
  });

  it('pushes session.start to the window device without applicant data; encrypted at rest; masked in views; rated by the rating', async () => {
    const res = await call(t.hub, 'POST', '/api/sessions', { token: business, body: open() });
    expect(res.status).toBe(201);
    const s = res.json<{ id: string; outcome: string; applicant: { name: string; idNumber: string; phone: string } }>();
    expect(s).toMatchObject({ outcome: 'pending', deviceId: dev.creds.deviceId, applicant: { name: '张**', idNumber: '330***********1234', phone: '138****8000' } });
    await dev.waitFor(() => dev.commands('session.start').length === 1, 10_000, 'session.start');
    const cmd = dev.commands('session.start')[0]!;
    expect(cmd.args).toMatchObject({ sessionId: s.id, caseNumbers: open().caseNumbers, staff: { id: 'staff-007', name: '王晓燕' }, item: open().item });
    const raw = JSON.stringify(dev.messages);
    for (const secret of ['张三丰', '330106199001011234', '13800138000']) expect(raw).not.toContain(secret);
    const token = String(cmd.args.rateUrl).split('/m/r/')[1]!;
    expect(String(cmd.args.rateUrl)).toMatch(/^http:\/\/hub\.local:8080\/m\/r\//);
    expect(verifyRateToken(token, t.hub.secrets.linkKey, Date.now())).toMatchObject({ sessionId: s.id });
    expect(verifyRateToken(`${token}x`, t.hub.secrets.linkKey, Date.now())).toBeNull();
    const dbText = JSON.stringify(t.hub.db.prepare('SELECT * FROM sessions').all());
    for (const secret of ['张三丰', '330106199001011234', '13800138000']) expect(dbText).not.toContain(secret);
    expect(t.hub.services.sessions.applicant(s.id)).toMatchObject({ name: '张三丰' });

    const r = makeRating(dev.creds, { sessionId: s.id, level: 5, origin: 'session' });
    await dev.publishRatings([r]);
    await dev.waitAcks([r.id]);
    const got = await call(t.hub, 'GET', `/api/sessions/${s.id}`, { token: operator });
    expect(got.json()).toMatchObject({ outcome: 'rated', ratingId: r.id });
    await until(() => sink.received.some((e) => e.type === 'session.outcome' && e.data.sessionId === s.id), 15_000, 'webhook');
    expect(sink.received.find((e) => e.data.sessionId === s.id)!.data).toMatchObject({ outcome: 'rated', ratingId: r.id, externalRef: 'queue-42' });
  });

  it('a newer session supersedes the pending one; cancel; device-reported timeout; hub-side expiry keeps unrated sessions queryable', async () => {
    const a = (await call(t.hub, 'POST', '/api/sessions', { token: business, body: open() })).json<{ id: string }>();
    const b = (await call(t.hub, 'POST', '/api/sessions', { token: business, body: open({ applicant: undefined }) })).json<{ id: string; applicant?: unknown }>();
    expect(b.applicant).toBeUndefined();
    expect((await call(t.hub, 'GET', `/api/sessions/${a.id}`, { token: business })).json()).toMatchObject({ outcome: 'superseded' });
    expect((await call(t.hub, 'POST', `/api/sessions/${b.id}/cancel`, { token: operator, body: {} })).status).toBe(403);
    expect((await call(t.hub, 'POST', `/api/sessions/${b.id}/cancel`, { token: business, body: { reason: '群众离开' } })).json()).toMatchObject({ outcome: 'cancelled' });
    expect((await call(t.hub, 'POST', `/api/sessions/${b.id}/cancel`, { token: business, body: {} })).status).toBe(409);
    await dev.waitFor(() => dev.commands('session.cancel').length === 1, 10_000, 'session.cancel');

    const c = (await call(t.hub, 'POST', '/api/sessions', { token: business, body: open() })).json<{ id: string }>();
    await dev.publishRaw(buildTopic(dev.creds.hallId, dev.creds.deviceId, 'events'), JSON.stringify({ v: 1, at: new Date().toISOString(), type: 'session.ended', sessionId: c.id, outcome: 'timed-out' }));
    await until(async () => (await call(t.hub, 'GET', `/api/sessions/${c.id}`, { token: business })).json<{ outcome: string }>().outcome === 'timed-out', 10_000, 'timed-out');

    const d = (await call(t.hub, 'POST', '/api/sessions', { token: business, body: open() })).json<{ id: string }>();
    t.hub.db.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").run(d.id);
    t.hub.health.check();
    expect((await call(t.hub, 'GET', `/api/sessions/${d.id}`, { token: business })).json()).toMatchObject({ outcome: 'timed-out', ratingId: null });
    const list = (await call(t.hub, 'GET', '/api/sessions?windowId=w-01&outcome=timed-out', { token: business })).json<{ id: string }[]>();
    expect(list.map((x) => x.id)).toEqual(expect.arrayContaining([c.id, d.id]));
    expect((await call(t.hub, 'GET', '/api/sessions?outcome=bogus', { token: business })).status).toBe(400);
  });

  it('webhook deliveries are retried after a failure', async () => {
    sink.failNext = 1;
    const n = sink.received.length;
    const e = (await call(t.hub, 'POST', '/api/sessions', { token: business, body: open() })).json<{ id: string }>();
    await call(t.hub, 'POST', `/api/sessions/${e.id}/cancel`, { token: business, body: {} });
    // the failed row is due again after its backoff; make it due now rather than wait
    await until(() => (t.hub.db.prepare('SELECT COUNT(*) AS n FROM webhook_outbox WHERE attempts > 0 AND delivered_at IS NULL').get() as { n: number }).n > 0 || sink.received.length > n, 10_000, 'first attempt');
    t.hub.db.prepare("UPDATE webhook_outbox SET next_at = '2000-01-01T00:00:00.000Z' WHERE delivered_at IS NULL").run();
    await until(() => sink.received.some((x) => x.data.sessionId === e.id && x.data.outcome === 'cancelled'), 15_000, 'retried delivery');
  });
});
