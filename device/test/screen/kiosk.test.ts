/**
 * The kiosk page in headless Chromium (playwright-core, Debian's chromium): a hub session arrives,
 * the citizen presses a star, picks a reason, sees thanks; the rating is in the outbox before thanks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { AckPeer } from '@hcp/simulator';
import { DeviceRuntime } from '../../src/runtime.js';
import { loadConfig } from '../../src/config/load.js';
import { makeIdentity, provision, silent, startBroker, tempDir, testConfig, until } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function browser(): Promise<Browser> {
  const b = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  cleanup.push(() => b.close());
  return b;
}

describe.skipIf(!existsSync(CHROMIUM))('kiosk page in headless Chromium', () => {
  it('press a star, choose a reason, see thanks; offline badge follows the link', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const t = tempDir();
    cleanup.push(t.cleanup);
    const id = makeIdentity(broker.url, 'dev-kiosk');
    provision(t.dir, id);
    const rt = new DeviceRuntime({ config: loadConfig(testConfig({ screen: { kind: 'kiosk', kioskPort: 0 }, session: { responseIntervalMs: 0, walkUp: 'refuse', thanksS: 30 } })), dataDir: t.dir, log: silent });
    await rt.start();
    cleanup.push(() => rt.stop());
    const peer = new AckPeer({ url: broker.url, keys: new Map([[id.deviceId, id.signingKey]]) });
    await peer.start();
    cleanup.push(() => peer.stop());
    await until(() => rt.link?.current.kind === 'online');

    const page = await (await browser()).newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(rt.kioskUrl!);
    await page.waitForSelector('#app[data-view="idle"]');
    expect(await page.locator('#offline').isVisible()).toBe(false);
    expect(await page.locator('h1').textContent()).toBe('欢迎光临');

    await peer.sendCommand(id.hallId, id.deviceId, 'session.start', {
      sessionId: 'k-1', caseNumbers: ['C-100'], staff: { id: 'st-1', name: '赵六', number: 'B012' }, item: { code: 'T-1', name: '社保卡补办' },
      rateUrl: 'https://hub.example/r/k-1', expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await page.waitForSelector('#app[data-view="prompt"]');
    expect(await page.getByTestId('staff-card').textContent()).toContain('赵六');
    expect(await page.getByTestId('qr').locator('svg').count()).toBe(1);
    expect(await page.getByTestId('star-5').textContent()).toContain('非常满意');

    await page.getByTestId('star-2').click();
    await page.waitForSelector('#app[data-view="reasons"]');
    expect(await page.locator('h1').textContent()).toBe('请选择不满意的原因');
    expect(await page.getByTestId('submit').isDisabled()).toBe(true);
    await page.getByTestId('reason-A01').click();
    await page.getByTestId('reason-A03').click();
    await page.getByTestId('submit').click();
    await page.getByTestId('thanks').waitFor();
    expect(await page.getByTestId('thanks').textContent()).toBe('感谢您的评价！');

    // Thanks on screen ⇒ the rating is committed (and then synced).
    const view = rt.view();
    const rid = view.kind === 'thanks' ? view.ratingId : '';
    await peer.waitFor(() => peer.ratings.has(rid), 10_000, 'rating at the hub');
    expect(peer.ratings.get(rid)).toMatchObject({ level: 2, indicators: ['A01', 'A03'], sessionId: 'k-1', caseNumbers: ['C-100'] });

    // Broker gone → the offline badge appears, pushed over SSE.
    await broker.close();
    await page.locator('#offline').waitFor({ state: 'visible' });
  });

  it('an unprovisioned device shows its claim code and QR', async () => {
    const t = tempDir();
    cleanup.push(t.cleanup);
    const rt = new DeviceRuntime({ config: loadConfig(testConfig({ hubUrl: 'http://127.0.0.1:9', screen: { kind: 'kiosk', kioskPort: 0 } })), dataDir: t.dir, log: silent });
    await rt.start();
    cleanup.push(() => rt.stop());
    const page = await (await browser()).newPage();
    await page.goto(rt.kioskUrl!);
    await page.getByTestId('claim-code').waitFor();
    expect(await page.getByTestId('claim-code').textContent()).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await page.getByTestId('qr').locator('svg').count()).toBe(1);
  });

  it('rejects bad tap bodies with a coded error', async () => {
    const t = tempDir();
    cleanup.push(t.cleanup);
    const rt = new DeviceRuntime({ config: loadConfig(testConfig({ screen: { kind: 'kiosk', kioskPort: 0 } })), dataDir: t.dir, log: silent });
    await rt.start();
    cleanup.push(() => rt.stop());
    const post = (body: string) => fetch(`${rt.kioskUrl}/api/input`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const a = await post('{nope');
    expect(a.status).toBe(400);
    expect(await a.json()).toMatchObject({ code: 'HCP_JSON_MALFORMED' });
    const b = await post(JSON.stringify({ kind: 'star', level: 9 }));
    expect(b.status).toBe(400);
    expect(await b.json()).toMatchObject({ code: 'HCP_VALIDATION' });
    expect((await post('x'.repeat(10_000))).status).toBe(413);
    expect(rt.kiosk!.badRequests).toBe(3);
  });
});
