import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { buildTopic } from '@hcp/protocol';
import { exampleTelemetry } from '@hcp/protocol/examples';
import { provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, until } from '../helpers/publisher.js';

describe('events (SSE), alerts and device settings', () => {
  let t: TestHub;
  let operator: string;
  let manager: string;
  let dev: DevicePublisher;
  beforeAll(async () => {
    t = await startTestHub();
    operator = await tokenFor(t.hub, 'operator');
    manager = await tokenFor(t.hub, 'manager');
    dev = await new DevicePublisher(provisionDevice(t.hub)).connect();
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  it('SSE needs a login; it streams alert events raised by telemetry', async () => {
    expect((await call(t.hub, 'GET', '/api/events')).status).toBe(401);
    const chunks: string[] = [];
    const req = request(`${t.httpUrl}/api/events`, { headers: { authorization: `Bearer ${operator}` } });
    const opened = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        res.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
        resolve();
      });
    });
    req.end();
    await opened;
    const tel = { ...exampleTelemetry, at: new Date().toISOString(), input: { driver: 'serial', state: 'failed', detail: 'ENOENT /dev/ttyUSB0' } };
    await dev.publishRaw(buildTopic(dev.creds.hallId, dev.creds.deviceId, 'telemetry'), JSON.stringify(tel));
    await until(() => chunks.join('').includes('event: alert.raised'), 10_000, 'SSE alert');
    expect(chunks.join('')).toContain('"kind":"input-failed"');
    req.destroy();
    const alerts = (await call(t.hub, 'GET', '/api/alerts', { token: operator })).json<{ kind: string }[]>();
    expect(alerts.map((a) => a.kind)).toContain('input-failed');
    expect((await call(t.hub, 'GET', '/api/alerts?state=bogus', { token: operator })).status).toBe(400);
  });

  it('settings and indicators: manager only, validated, pushed to online devices', async () => {
    await dev.publishRaw(buildTopic(dev.creds.hallId, dev.creds.deviceId, 'status'), JSON.stringify({ v: 1, state: 'online', at: new Date().toISOString(), bootId: 'b1' }));
    await until(() => t.hub.services.registry.getDevice(dev.creds.deviceId)?.onlineState === 'online', 10_000, 'online');
    expect((await call(t.hub, 'PUT', '/api/settings/devices', { token: operator, body: { settings: {} } })).status).toBe(403);
    expect((await call(t.hub, 'PUT', '/api/settings/devices', { token: manager, body: { settings: { responseIntervalMs: -1 } } })).status).toBe(400);
    expect((await call(t.hub, 'PUT', '/api/settings/devices', { token: manager, body: { settings: { responseIntervalMs: 5000 } } })).json()).toEqual({ version: 1, pushed: 1 });
    const list = { version: '2026.11', items: [{ code: '501', name: '服务态度差', group: '服务态度' }] };
    expect((await call(t.hub, 'PUT', '/api/indicators', { token: manager, body: { list } })).json()).toEqual({ pushed: 1 });
    await dev.waitFor(() => dev.commands('config.update').length === 1 && dev.commands('indicators.set').length === 1, 10_000, 'pushes');
    expect((await call(t.hub, 'GET', '/api/settings/devices', { token: operator })).json()).toMatchObject({ version: 1, settings: { responseIntervalMs: 5000 }, indicators: list });
  });
});
