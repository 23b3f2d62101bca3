/**
 * Over the wire: a real hub with the forward extension delivering to the provincial simulator; a
 * device connected over MQTT; the business system opens a session over HTTP; the phone opens the
 * link the device received and rates over HTTP. The phone rating must reach the same ingest hooks
 * as a device rating: the forwarding outbox (and then the province, pf 3, assessNumber 1 and 2),
 * the 差评 case, the session outcome and the misuse rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ProvincialSimulator } from '@hcp/simulator/provincial/server';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { forwardExtension } from '../../src/forward/extension.js';
import { loadProfile } from '../../src/forward/profile.js';
import { provisionDevice } from '../helpers/hub.js';
import { DevicePublisher, until } from '../helpers/publisher.js';

describe('phone rating over the wire reaches forwarding, cases and sessions', () => {
  let dir: string;
  let hub: Hub;
  let sim: ProvincialSimulator;
  let url: string;
  let dev: DevicePublisher;
  let business: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-mobile-wire-'));
    sim = new ProvincialSimulator({ dataFile: join(dir, 'prov.sqlite'), appId: 'a', appSecret: 's' });
    await sim.start();
    const profile = loadProfile({ name: 'generic', adapter: 'generic-json', endpoint: sim.url, credentials: { appId: 'a', secret: 's' }, retry: { baseMs: 5, maxMs: 50 } });
    hub = new Hub(makeConfig({ dataDir: join(dir, 'hub'), httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }),
      { logger: pino({ level: process.env.HCP_TEST_LOG ?? 'silent' }), extensions: [forwardExtension({ profile })] });
    url = (await hub.start()).httpUrl;
    hub.services.deviceSettings.setIndicators({ version: '2026.11', items: [{ code: '501', name: '服务态度差' }, { code: '510', name: '办事效率低' }] }, new Date().toISOString());
    dev = await new DevicePublisher(provisionDevice(hub, 'w-01')).connect();
    business = hub.services.operators.createToken('queue', 'business', 'test').token;
  });
  afterAll(async () => {
    await dev?.close();
    await hub?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 差评 on the phone: outbox row in the same commit, the province gets pf 3, the case opens; the 追加 follows as assessNumber 2', async () => {
    const open = await fetch(`${url}/api/sessions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${business}` },
      body: JSON.stringify({ windowId: 'w-01', caseNumbers: ['330100-2026-W1', '330100-2026-W2'], item: { code: '330100-000-XK-001', name: '食品经营许可' }, staffId: 'staff-007' }),
    });
    expect(open.status).toBe(201);
    const sessionId = ((await open.json()) as { id: string }).id;
    await dev.waitFor(() => dev.commands('session.start').length === 1, 10_000, 'session.start');
    const rateUrl = String(dev.commands('session.start')[0]!.args.rateUrl);
    const token = rateUrl.slice(rateUrl.lastIndexOf('/') + 1);

    const page = await fetch(rateUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const post = (body: object) => fetch(`${url}/api/m/r/${token}/ratings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const first = await post({ submissionId: 'wire-first-0123456789', assessNumber: 1, level: 1, indicators: ['501'], text: '工作人员态度生硬' });
    expect(first.status).toBe(201);
    const ratingId = ((await first.json()) as { ratingId: string }).ratingId;

    // the ingest hooks ran inside the storing transaction
    const db = hub.db;
    expect(db.prepare('SELECT project_no AS p, assess_number AS a FROM forward_outbox WHERE rating_id = ? ORDER BY project_no').all(ratingId))
      .toEqual([{ p: '330100-2026-W1', a: 1 }, { p: '330100-2026-W2', a: 1 }]);
    expect(db.prepare('SELECT level, state, session_id AS s FROM bad_review_cases WHERE rating_id = ?').get(ratingId)).toEqual({ level: 1, state: 'new', s: sessionId });
    expect(db.prepare('SELECT outcome, rating_id AS r FROM sessions WHERE id = ?').get(sessionId)).toEqual({ outcome: 'rated', r: ratingId });
    await dev.waitFor(() => dev.commands('session.cancel').length === 1, 10_000, 'session.cancel');

    await until(() => sim.record('330100-2026-W2', '1') != null, 20_000, 'first record at the province');
    expect(sim.record('330100-2026-W1', '1')!.record).toMatchObject({ pf: '3', satisfaction: '1', assessNumber: '1', evalDetail: '501', writingEvaluation: '工作人员态度生硬' });

    // a retry of the same submission changes nothing anywhere
    expect((await post({ submissionId: 'wire-first-0123456789', assessNumber: 1, level: 1, indicators: ['501'], text: '工作人员态度生硬' })).status).toBe(200);
    expect(db.prepare('SELECT COUNT(*) AS n FROM forward_outbox WHERE project_no = ?').get('330100-2026-W1')).toEqual({ n: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM bad_review_cases WHERE session_id = ?').get(sessionId)).toEqual({ n: 1 });

    const fu = await post({ submissionId: 'wire-follow-0123456789', assessNumber: 2, level: 4, text: '后来工作人员主动联系解决了' });
    expect(fu.status).toBe(201);
    await until(() => sim.record('330100-2026-W1', '2') != null, 20_000, 'follow-up record at the province');
    expect(sim.record('330100-2026-W1', '2')!.record).toMatchObject({ pf: '3', satisfaction: '4', assessNumber: '2' });
    // a 满意 follow-up opens no case
    expect(db.prepare('SELECT COUNT(*) AS n FROM bad_review_cases WHERE session_id = ?').get(sessionId)).toEqual({ n: 1 });
    const m = await (await fetch(`${url}/metrics`)).text();
    expect(m).toMatch(/hcp_hub_ratings_total\{result="stored"\} 2/);
  });
});
