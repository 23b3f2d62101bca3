/**
 * The statistics contract end to end on a real hub: sessions opened through the sessions API,
 * signed ratings published over MQTT by a provisioned device and stored by ingest, 差评 cases
 * opened by the cases module in the ingest transaction. The figures of /api/stats follow: a batch
 * session rated once counts all its 办件 as rated, an unrated session counts as served, the 差评
 * shows up as a valid 差评 awaiting 回访, and the ratings export masks the applicant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionOpenRequest } from '@hcp/protocol';
import { provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { parseCsv } from './helpers.js';

const open = (caseNumbers: string[]): SessionOpenRequest => ({
  windowId: 'w-01', caseNumbers, item: { code: '330100-000-XK-001', name: '食品经营许可' }, staffId: 'staff-007',
  applicant: { name: '欧阳修', idType: '111', idNumber: '330106199001011234', phone: '13800138000', userType: 'person' },
});

describe('statistics over real ingest', () => {
  let th: TestHub;
  let dev: DevicePublisher;
  let business: string;
  let op: string;

  beforeAll(async () => {
    th = await startTestHub();
    dev = await new DevicePublisher(provisionDevice(th.hub, 'w-01')).connect();
    business = await tokenFor(th.hub, 'business');
    op = await tokenFor(th.hub, 'operator');
  });
  afterAll(async () => {
    await dev?.close();
    await th?.stop();
  });

  it('counts 参评率 per 办件 from sessions, and a stored 差评 as awaiting follow-up', async () => {
    const batch = (await call(th.hub, 'POST', '/api/sessions', { token: business, body: open(['A-1', 'A-2', 'A-3']) })).json<{ id: string }>();
    const bad = (await call(th.hub, 'POST', '/api/sessions', { token: business, body: open(['B-1']) })).json<{ id: string }>();
    await call(th.hub, 'POST', '/api/sessions', { token: business, body: open(['C-1']) }); // supersedes B: served, never rated
    const now = new Date().toISOString();
    const r1 = makeRating(dev.creds, { sessionId: batch.id, caseNumbers: ['A-1', 'A-2', 'A-3'], level: 5, origin: 'session', givenAt: now });
    const r2 = makeRating(dev.creds, { sessionId: bad.id, caseNumbers: ['B-1'], level: 2, indicators: ['501'], origin: 'session', givenAt: now });
    await dev.publishRatings([r1, r2]);
    await dev.waitAcks([r1.id, r2.id]);

    const s = (await call(th.hub, 'GET', '/api/stats', { token: op })).json<{ total: Record<string, unknown> }>();
    expect(s.total).toMatchObject({
      ratings: 2, cases: 4, good: 3, bad: 1, goodRate: 0.75, avg: 4.25,
      servedSessions: 3, ratedSessions: 2, servedCases: 5, ratedCases: 4, participationRate: 0.8,
      badReviews: 1, contacted: 0, rectified: 0, contactRate: 0, rectifyRate: 0,
    });
    // the cases module opened the 差评 case in the ingest transaction
    expect(th.hub.db.prepare('SELECT state FROM bad_review_cases WHERE rating_id = ?').get(r2.id)).toEqual({ state: 'new' });

    const csv = await th.hub.http.inject({ method: 'GET', url: '/api/exports/ratings', headers: { authorization: `Bearer ${op}` } });
    expect(csv.body).not.toContain('欧阳修');
    expect(csv.body).not.toContain('330106199001011234');
    const [head, ...rows] = parseCsv(csv.body.slice(1));
    const row = rows.find((r) => r[0] === r2.id)!;
    expect([row[head!.indexOf('评价人（脱敏）')], row[head!.indexOf('联系电话（脱敏）')], row[head!.indexOf('差评处理状态')]]).toEqual(['欧**', '138****8000', '待回访']);
  });
});
