/**
 * The forwarder wired into a real hub: a provisioned device publishes a signed rating over MQTT for
 * a session opened through the sessions service (with applicant data, encrypted at rest); the
 * ingest hook queues one record per case in the rating's transaction; the worker sends them to the
 * provincial simulator with the applicant decrypted only for the request; /metrics shows the backlog.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvincialSimulator } from '@hcp/simulator/provincial/server';
import { formatChinaTime } from '@hcp/protocol';
import pino from 'pino';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { forwardExtension, type ForwardExtension } from '../../src/forward/extension.js';
import type { Forwarder } from '../../src/forward/forwarder.js';
import { loadProfile } from '../../src/forward/profile.js';
import { call } from '../helpers/http.js';
import { provisionDevice, tokenFor } from '../helpers/hub.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { idNumber, tempDir } from './helpers.js';

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('forwarding plugged into a running hub (HubExtension)', () => {
  const t = tempDir();
  let hub: Hub;
  let ext: ForwardExtension;
  let dev: DevicePublisher;
  let sim: ProvincialSimulator;
  let fwd: Forwarder;

  beforeAll(async () => {
    sim = new ProvincialSimulator({ dataFile: join(t.dir, 'prov.sqlite'), appId: 'hall-1', appSecret: 's3cret' });
    await sim.start();
    ext = forwardExtension({
      profile: loadProfile({
        name: 'generic', adapter: 'generic-json', endpoint: sim.url, credentials: { appId: 'hall-1', secret: 's3cret' },
        hall: { deptName: '杭州市民中心', deptCode: '11330100MB0000000X', areaCode: '330100' },
        indicators: { kind: 'endpoint' }, retry: { baseMs: 10, maxMs: 100 }, pollIntervalMs: 50,
      }),
    });
    hub = new Hub(makeConfig({ dataDir: join(t.dir, 'hub'), httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }), {
      logger: pino({ level: 'silent' }), extensions: [ext],
    });
    await hub.start();
    fwd = ext.forwarder!;
    const p = provisionDevice(hub);
    dev = await new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: hub.mqttUrl } }).connect({ subscribe: true });
  });

  afterAll(async () => {
    await dev?.close();
    await hub?.stop();
    await sim?.stop();
    t.cleanup();
  });

  it('forwards a device rating for a batch session, one record per case, with the session data', async () => {
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
    // handed to the hub's device settings, which the hub pushes to devices that are behind
    expect(hub.services.deviceSettings.indicators()?.version).toBe(sim.indicators().version);
    // pushed to the active devices on demand (the device was provisioned after the first fetch)
    const mgr = await tokenFor(hub, 'manager');
    const pushed = await call(hub, 'POST', '/api/forward/indicators/push', { token: mgr });
    expect(pushed.json()).toMatchObject({ version: sim.indicators().version, sent: [dev.creds.deviceId], failed: [] });
    await dev.waitFor(() => dev.messages.some((m) => (m.payload as { type?: string; args?: { list?: { version?: string } } }).type === 'indicators.set'));
  });

  it('serves the forward routes inside the hub app (its auth, errors and OpenAPI) and /metrics', async () => {
    expect((await call(hub, 'GET', '/api/forward/backlog')).status).toBe(401);
    const op = await tokenFor(hub, 'operator');
    expect((await call(hub, 'GET', '/api/forward/backlog', { token: op })).json()).toMatchObject({ backlog: 0, deadOpen: 0 });
    expect((await call(hub, 'GET', '/api/forward/status', { token: op })).json()).toMatchObject({ profile: { name: 'generic' } });
    const spec = (await call(hub, 'GET', '/api/docs/json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/forward/backlog', '/api/forward/dead-letters']));
  });
  it('sends the corrected time of a rating made before the device clock was trusted', async () => {
    await fwd.worker.stop(); // hold sending while the hub learns the clock
    const boot = 'boot-fwd-untrusted';
    const early = makeRating(dev.creds, { caseNumbers: ['CLK-1'], givenAt: '1970-01-01T00:00:10.000Z', clock: { trusted: false, source: 'none', bootId: boot, monoMs: 10_000 }, flags: ['clock-untrusted'] });
    await dev.publishRatings([early]);
    await dev.waitAcks([early.id]);
    const wall = Math.floor(Date.now() / 1000) * 1000;
    const later = makeRating(dev.creds, { caseNumbers: ['CLK-2'], givenAt: new Date(wall).toISOString(), clock: { trusted: true, source: 'hub', bootId: boot, monoMs: 70_000 } });
    await dev.publishRatings([later]);
    await dev.waitAcks([later.id]);
    fwd.worker.start();
    await until(() => sim.record('CLK-1', '1') !== null && sim.record('CLK-2', '1') !== null);
    // offset learned from the trusted rating: the early one was given 60 s before it
    expect(sim.record('CLK-1', '1')!.record).toMatchObject({ assessTime: formatChinaTime(wall - 60_000) });
    expect(sim.record('CLK-2', '1')!.record).toMatchObject({ assessTime: formatChinaTime(wall) });
  });
});
