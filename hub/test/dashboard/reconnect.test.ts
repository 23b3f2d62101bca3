/**
 * The dashboard across a hub restart: the page shows the stream as lost, reconnects by itself when
 * the hub is back on the same address (same data dir, the session survives), and shows what
 * happened meanwhile — a device that came online while the page was cut off.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { buildTopic } from '@hcp/protocol';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { DevicePublisher } from '../helpers/publisher.js';
import { provisionDevice } from '../helpers/hub.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('dashboard across a hub restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hcp-dashboard-restart-'));
  const hubs: Hub[] = [];
  let browser: Browser | undefined;
  let device: DevicePublisher | undefined;

  const start = async (httpPort: number, mqttPort: number) => {
    const hub = new Hub(makeConfig({ dataDir, httpPort, mqttPort, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }),
      { logger: pino({ level: process.env.HCP_TEST_LOG ?? 'silent' }) });
    hubs.push(hub);
    return { hub, a: await hub.start() };
  };

  afterAll(async () => {
    await device?.close().catch(() => undefined);
    await browser?.close();
    for (const h of hubs) await h.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks the stream lost, reconnects, and shows the device that came online meanwhile', async () => {
    const first = await start(0, 0);
    const creds = provisionDevice(first.hub);
    first.hub.services.operators.createUser({ username: 'wang', password: 'correct horse battery', role: 'operator' }, 'test');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${first.a.httpUrl}/login`);
    await page.fill('#username', 'wang');
    await page.fill('#password', 'correct horse battery');
    await page.click('#login-submit');
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#live:not(.off)');
    const card = `#device-grid [data-device="${creds.deviceId}"]`;
    await page.waitForSelector(`${card}[data-state="unknown"]`);
    // an operator may not provision
    expect(await page.isHidden('#tabs [data-tab="provision"]')).toBe(true);

    // keep the page cut off until the device's status is stored, so the page can only learn it by
    // reloading when its stream reopens (no device.online event reaches it)
    await page.route('**/api/events', (route) => route.abort());
    await first.hub.stop();
    await page.waitForSelector('#live.off');
    const second = await start(first.a.httpPort, first.a.mqttPort!);
    device = await new DevicePublisher({ ...creds, mqtt: { ...creds.mqtt, url: second.hub.mqttUrl } }).connect();
    await device.client.publishAsync(buildTopic(creds.hallId, creds.deviceId, 'status'),
      JSON.stringify({ v: 1, state: 'online', at: new Date().toISOString(), bootId: 'boot-2' }), { qos: 1, retain: true });
    await device.waitFor(() => second.hub.services.registry.getDevice(creds.deviceId)?.onlineState === 'online', 15_000, 'status stored');
    expect(await page.getAttribute(card, 'data-state')).toBe('unknown');
    await page.unroute('**/api/events');
    await page.waitForSelector('#live:not(.off)');
    await page.waitForSelector(`${card}[data-state="online"]`);
  });
});
