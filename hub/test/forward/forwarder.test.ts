/**
 * The forwarder wired into a real hub: a provisioned device publishes a signed rating over MQTT for
 * a session opened through the sessions service (with applicant data, encrypted at rest); the
 * ingest hook queues one record per case in the rating's transaction; the worker sends them to the
 * provincial simulator with the applicant decrypted only for the request; /metrics shows the backlog.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvincialSimulator } from '@hcp/simulator/provincial/server';
import { WorkingCalendar } from '../../src/forward/calendar.js';
import { Forwarder } from '../../src/forward/forwarder.js';
import { hubUnratedSessions, sessionContextSource } from '../../src/forward/hub-sources.js';
import { loadProfile } from '../../src/forward/profile.js';
import { provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { idNumber, silent, tempDir } from './helpers.js';

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Forwarder inside a running hub', () => {
  const t = tempDir();
  let th: TestHub;
  let dev: DevicePublisher;
  let sim: ProvincialSimulator;
  let fwd: Forwarder;

  beforeAll(async () => {
    sim = new ProvincialSimulator({ dataFile: join(t.dir, 'prov.sqlite'), appId: 'hall-1', appSecret: 's3cret' });
    await sim.start();
    th = await startTestHub();
    const hub = th.hub;
    const p = provisionDevice(hub);
    dev = await new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: hub.mqttUrl } }).connect({ subscribe: true });
    fwd = new Forwarder({
      db: hub.db, clock: hub.clock, log: silent, hallId: hub.config.hallId, audit: hub.services.audit,
      profile: loadProfile({
        name: 'generic', adapter: 'generic-json', endpoint: sim.url, credentials: { appId: 'hall-1', secret: 's3cret' },
        hall: { deptName: '杭州市民中心', deptCode: '11330100MB0000000X', areaCode: '330100' },
        indicators: { kind: 'endpoint' }, retry: { baseMs: 10, maxMs: 100 }, pollIntervalMs: 50,
      }),
      applicants: (id) => hub.services.sessions.applicant(id),
      context: sessionContextSource(hub.db),
      calendar: WorkingCalendar.china(),
      sessions: hubUnratedSessions(hub.db),
      metrics: hub.metrics,
    });
    hub.onRatingStored(fwd.hook);
    fwd.start();
  });

  afterAll(async () => {
    await fwd?.stop();
    await dev?.close();
    await th?.stop();
    await sim?.stop();
    t.cleanup();
  });

  it('forwards a device rating for a batch session, one record per case, with the session data', async () => {
    const hub = th.hub;
    const view = await hub.services.sessions.open({
      windowId: 'w-01', caseNumbers: ['E2E-1', 'E2E-2'], item: { code: '330100-000-XK-001', name: '食品经营许可' }, staffId: 'staff-007',
      applicant: { name: '李四', idType: '111', idNumber: idNumber(7), userType: 'person' }, caseStatus: 'completed', promiseKind: 'promised',
    }, 'test', 'http://127.0.0.1');
    const r = makeRating(dev.creds, { sessionId: view.id, caseNumbers: ['E2E-1', 'E2E-2'], level: 1, indicators: ['510'], indicatorVersion: 'sim-2026.11', origin: 'session' });
    await dev.publishRatings([r]);
    expect((await dev.waitAcks([r.id]))[0]!.result).toBe('stored');
    // queued in the rating's transaction
    expect(hub.db.prepare('SELECT project_no FROM forward_outbox WHERE rating_id = ? ORDER BY project_no').all(r.id)).toEqual([{ project_no: 'E2E-1' }, { project_no: 'E2E-2' }]);
    await until(() => sim.counts().stored === 2);
    expect(sim.record('E2E-2', '1')!.record).toMatchObject({
      satisfaction: '1', evalDetail: '510', pf: '5', taskCode: '330100-000-XK-001', taskName: '食品经营许可', proStatus: '3',
      proManager: '王晓燕', promiseTime: '2', userProp: '1', userName: '李四', userPageType: '111', certKey: idNumber(7), deptCode: '11330100MB0000000X',
    });
    await until(() => fwd.outbox.stats(Date.now()).backlog === 0);
    const metrics = hub.metrics.render();
    expect(metrics).toMatch(/^hcp_forward_backlog 0$/m);
    expect(metrics).toMatch(/^hcp_forward_oldest_age_seconds 0$/m);
    expect(metrics).toMatch(/hcp_forward_records_total\{.*kind="delivered".*\} 2/);
  });

  it('fetched and stored the province indicator list at start', async () => {
    await until(() => fwd.indicators.current() !== null);
    expect(fwd.indicators.current()!.version).toBe(sim.indicators().version);
    expect(fwd.status()).toMatchObject({ indicatorVersion: sim.indicators().version, profile: { adapter: 'generic-json' } });
  });
});
