import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';

describe('rating audit routes', () => {
  let t: TestHub;
  let dev: DevicePublisher;
  let auditor: string;
  beforeAll(async () => {
    t = await startTestHub();
    dev = await new DevicePublisher(provisionDevice(t.hub, 'w-01')).connect();
    auditor = await tokenFor(t.hub, 'auditor');
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  it('lookup names exactly the stored ids; multi-rated lists a session rated twice', async () => {
    const a = makeRating(dev.creds, { sessionId: 's-a', seq: 1 });
    const b = makeRating(dev.creds, { sessionId: 's-b', seq: 2 });
    const b2 = makeRating(dev.creds, { sessionId: 's-b', seq: 3 });
    const never = makeRating(dev.creds, { sessionId: 's-c', seq: 4 });
    await dev.publishRatings([a, b, b2]);
    await dev.waitAcks([a.id, b.id, b2.id]);
    const res = await call(t.hub, 'POST', '/api/ratings/lookup', { token: auditor, body: { ids: [a.id, b.id, never.id] } });
    expect(res.status).toBe(200);
    const found = res.json<{ found: { id: string; sessionId: string }[] }>().found.map((f) => f.id).sort();
    expect(found).toEqual([a.id, b.id].sort());
    const multi = await call(t.hub, 'GET', '/api/ratings/multi-rated', { token: auditor });
    expect(multi.json<{ items: { sessionId: string; count: number }[] }>().items).toEqual([{ sessionId: 's-b', count: 2 }]);
  });

  it('refuses without login (401), a business token (403) and bad ids (400)', async () => {
    expect((await call(t.hub, 'POST', '/api/ratings/lookup', { body: { ids: [] } })).status).toBe(401);
    const business = await tokenFor(t.hub, 'business');
    expect((await call(t.hub, 'GET', '/api/ratings/multi-rated', { token: business })).status).toBe(403);
    const bad = await call(t.hub, 'POST', '/api/ratings/lookup', { token: auditor, body: { ids: ['not-a-uuid'] } });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'HCP_VALIDATION' });
  });
});
