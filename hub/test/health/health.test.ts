/** Health over real MQTT with an injected clock: status/LWT, telemetry, inactivity, alerts, catch-up. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, type Telemetry } from '@hcp/protocol';
import { exampleTelemetry } from '@hcp/protocol/examples';
import { FakeClock, provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating, until } from '../helpers/publisher.js';
import type { HubEvent } from '../../src/events/bus.js';

describe('device health and alerts', () => {
  const clock = new FakeClock();
  let t: TestHub;
  let dev: DevicePublisher;
  const events: HubEvent[] = [];
  beforeAll(async () => {
    t = await startTestHub({ inactivityTimeoutS: 600, offlineAlertMin: 10, diskLowBytes: 1_000_000, backlogGrowthReports: 3 }, { clock });
    t.hub.services.bus.on((e) => events.push(e));
    dev = await new DevicePublisher(provisionDevice(t.hub)).connect();
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  const topic = (k: 'status' | 'telemetry') => buildTopic(dev.creds.hallId, dev.creds.deviceId, k);
  const device = () => t.hub.services.registry.getDevice(dev.creds.deviceId)!;
  const openAlerts = () => t.hub.services.alerts.list('open').filter((a) => a.deviceId === dev.creds.deviceId).map((a) => a.kind).sort();
  const telemetry = async (over: Partial<Telemetry>) => {
    const n = t.hub.metrics.value('hcp_hub_inbox_commits_total');
    await dev.publishRaw(topic('telemetry'), JSON.stringify({ ...exampleTelemetry, at: new Date(clock.now()).toISOString(), ...over }));
    await until(() => t.hub.metrics.value('hcp_hub_inbox_commits_total') > n, 10_000, 'telemetry committed');
  };

  it('online status → time.sync now; indicators and settings only when the device is behind', async () => {
    const at = new Date(clock.now()).toISOString();
    t.hub.services.deviceSettings.setIndicators({ version: '2026.11', items: [{ code: '501', name: '服务态度差' }] }, at);
    t.hub.services.deviceSettings.setSettings({ walkUp: 'refuse' }, at);
    await dev.publishRaw(topic('status'), JSON.stringify({ v: 1, state: 'online', at, bootId: 'boot-1', monoMs: 123_456 }));
    await dev.waitFor(() => dev.commands('time.sync').length === 1 && dev.commands('indicators.set').length === 1 && dev.commands('config.update').length === 1, 10_000, 'catch-up');
    // the status' boot id and monotonic ms come back, so the device can measure the round trip
    expect(dev.commands('time.sync')[0]!.args).toEqual({ now: at, nowMs: clock.now(), echo: { bootId: 'boot-1', monoMs: 123_456 } });
    expect(device().onlineState).toBe('online');
    expect(events.some((e) => e.type === 'device.online')).toBe(true);
    // up to date now (telemetry reports the indicator version; settings version recorded): only time.sync again
    await telemetry({ versions: { ...exampleTelemetry.versions, indicators: '2026.11' } });
    await dev.publishRaw(topic('status'), JSON.stringify({ v: 1, state: 'online', at, bootId: 'boot-1' }));
    await dev.waitFor(() => dev.commands('time.sync').length === 2, 10_000, 'second time.sync');
    expect(dev.commands('time.sync')[1]!.args).not.toHaveProperty('echo'); // an older device sends no monoMs
    await new Promise((r) => setTimeout(r, 200));
    expect(dev.commands('indicators.set')).toHaveLength(1);
    expect(dev.commands('config.update')).toHaveLength(1);
  });

  it('telemetry raises and clears input-failed, disk-low, clock-untrusted; backlog-growing after 3 rising reports', async () => {
    await telemetry({ input: { driver: 'hid', state: 'failed' }, diskFreeBytes: 10, clock: { ...exampleTelemetry.clock, trusted: false, source: 'none', bootId: 'boot-2' }, backlog: 1 });
    expect(openAlerts()).toEqual(['clock-untrusted', 'disk-low', 'input-failed']);
    await telemetry({ backlog: 2 });
    await telemetry({ backlog: 3 });
    expect(openAlerts()).toEqual(['backlog-growing']);
    // raised once while it stays open
    await telemetry({ backlog: 4 });
    expect(t.hub.services.alerts.list('all').filter((a) => a.kind === 'backlog-growing')).toHaveLength(1);
    await telemetry({ backlog: 0 });
    expect(openAlerts()).toEqual([]);
    expect(events.filter((e) => e.type === 'alert.cleared').length).toBeGreaterThanOrEqual(4);
  });

  it('telemetry with a trusted clock teaches the boot offset and corrects earlier untrusted ratings', async () => {
    const r = makeRating(dev.creds, { givenAt: '1970-01-01T00:01:40.000Z', clock: { trusted: false, source: 'none', bootId: 'boot-3', monoMs: 100_000 }, flags: ['clock-untrusted'] });
    await dev.publishRatings([r]);
    await dev.waitAcks([r.id]);
    await telemetry({ at: '2026-11-21T03:00:00.000Z', clock: { trusted: true, source: 'ntp', bootId: 'boot-3', monoMs: 1_000_000 } });
    expect(t.hub.db.prepare('SELECT corrected_given_at AS c FROM ratings WHERE id = ?').get(r.id)).toEqual({ c: '2026-11-21T02:45:00.000Z' }) // 03:00:00 − 1000 s + 100 s;
  });

  it('LWT offline; silence past the inactivity timeout → offline; offline longer than N minutes → alert; back online clears it', async () => {
    await dev.publishRaw(topic('status'), JSON.stringify({ v: 1, state: 'offline', at: new Date(clock.now()).toISOString(), reason: 'lwt' }));
    await until(() => device().onlineState === 'offline', 10_000, 'offline');
    expect(device().offlineReason).toBe('lwt');
    clock.advance(9 * 60_000);
    t.hub.health.check();
    expect(openAlerts()).toEqual([]);
    clock.advance(2 * 60_000);
    t.hub.health.check();
    expect(openAlerts()).toEqual(['device-offline']);
    await telemetry({});
    expect(device().onlineState).toBe('online');
    expect(openAlerts()).toEqual([]);
    clock.advance(601_000);
    t.hub.health.check();
    expect(device()).toMatchObject({ onlineState: 'offline', offlineReason: 'inactivity' });
    expect(events.at(-1)).toMatchObject({ type: 'device.offline', data: { reason: 'inactivity' } });
  });

  it('malformed status and telemetry are counted and change nothing', async () => {
    const n = t.hub.metrics.value('hcp_hub_device_messages_invalid_total', { kind: 'telemetry', code: 'HCP_JSON_MALFORMED' });
    await dev.publishRaw(topic('telemetry'), 'not json');
    await dev.publishRaw(topic('status'), JSON.stringify({ v: 1, state: 'sideways', at: 'x' }));
    await until(() => t.hub.metrics.value('hcp_hub_device_messages_invalid_total', { kind: 'status', code: 'HCP_VALIDATION' }) === 1, 10_000, 'invalid counted');
    expect(t.hub.metrics.value('hcp_hub_device_messages_invalid_total', { kind: 'telemetry', code: 'HCP_JSON_MALFORMED' })).toBe(n + 1);
    expect(device().onlineState).toBe('offline');
  });
});
