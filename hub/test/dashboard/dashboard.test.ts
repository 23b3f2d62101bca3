/**
 * The operator dashboard in headless Chromium against a real hub (SQLite file, embedded MQTT broker,
 * HTTP on port 0, forwarding extension): log in through the page, provision a device through the
 * claim-code form, watch its card follow retained status messages it publishes with the credentials
 * the hub issued, see its rating in the live feed and the charts, manage the registry, retry and
 * discard dead letters, log out. Screenshots go to test-artifacts/dashboard/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildTopic, type ProvisionResponse } from '@hcp/protocol';
import { exampleTelemetry } from '@hcp/protocol/examples';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { forwardExtension, type ForwardExtension } from '../../src/forward/extension.js';
import { loadProfile } from '../../src/forward/profile.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { rating as forwardSource } from '../forward/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '../../../test-artifacts/dashboard');
const PASSWORD = 'correct horse battery';

describe.skipIf(!existsSync(CHROMIUM))('operator dashboard in headless Chromium', () => {
  let hub: Hub;
  let ext: ForwardExtension;
  let dataDir: string;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let device: DevicePublisher | undefined;
  let creds: ProvisionResponse;
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hcp-dashboard-'));
    ext = forwardExtension({
      // nothing listens on port 9: records wait in the backlog, which is what the page shows
      profile: loadProfile({ name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:9', credentials: { appId: 'a', secret: 'never-shown' } }),
    });
    hub = new Hub(makeConfig({ dataDir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent', hallName: '杭州市民中心' }),
      { logger: pino({ level: process.env.HCP_TEST_LOG ?? 'silent' }), extensions: [ext] });
    url = (await hub.start()).httpUrl;
    const s = hub.services;
    s.operators.createUser({ username: 'zhang', password: PASSWORD, role: 'manager' }, 'test');
    s.operators.createUser({ username: 'li', password: PASSWORD, role: 'auditor' }, 'test');
    s.registry.createStaff({ id: 'staff-007', name: '王晓燕', number: 'A0107', starLevel: 5 }, 'test');
    s.registry.createWindow({ id: 'w-01', hallId: hub.config.hallId, name: '1号综合窗口', staffId: 'staff-007' }, 'test');
    s.deviceSettings.setIndicators({ version: '2026.11', items: [{ code: '501', name: '服务态度差' }, { code: '502', name: '办理时间过长' }] }, new Date().toISOString());
    // two records the provincial system refused for good
    const f = ext.forwarder!;
    f.outbox.enqueue(forwardSource({ cases: ['X-1'], level: 2, indicators: ['999'] }), { staffName: '王晓燕' }, Date.now());
    f.outbox.enqueue(forwardSource({ cases: ['X-2'], level: 5 }), { staffName: '王晓燕' }, Date.now());
    const rows = f.outbox.claim(10, Date.now());
    f.outbox.complete(rows.map((r) => ({ seq: r.seq, kind: 'dead' as const, code: 'E_INDICATOR_UNKNOWN', reason: 'evalDetail 含未知指标代码 999' })), Date.now());

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) pageErrors.push(m.text()); });
  });

  afterAll(async () => {
    await device?.close().catch(() => undefined);
    await browser?.close();
    await hub?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const exchange = (claimCode: string) => fetch(`${url}/api/provision/exchange`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ v: 1, claimCode, hardwareId: 'pi-serial-0001', model: 'pi4', appVersion: '0.1.0' }),
  });
  const publishStatus = (state: 'online' | 'offline') => device!.client.publishAsync(
    buildTopic(creds.hallId, creds.deviceId, 'status'),
    JSON.stringify({ v: 1, state, at: new Date().toISOString(), bootId: 'boot-1', ...(state === 'offline' ? { reason: 'shutdown' } : {}) }),
    { qos: 1, retain: true },
  );

  it('sends a visitor to the login page, refuses a wrong password, logs in and shows the role', async () => {
    await page.goto(`${url}/`);
    await page.waitForURL(/\/login$/);
    await page.waitForSelector('text=好差评大厅管理台');
    await page.fill('#username', 'zhang');
    await page.fill('#password', 'wrong password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:has-text("用户名或密码错误")');
    await shot('01-login');
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#who')).toBe('zhang · 大厅管理者');
    expect(await page.isVisible('#tabs [data-tab="provision"]')).toBe(true);
    expect(await page.isVisible('#tabs [data-tab="forward"]')).toBe(true);
    await page.waitForSelector('#live:not(.off)');
    await page.waitForSelector('#device-grid:has-text("暂无评价器")');
  });

  it('provisions a device through the claim-code form; the device gets its credentials', async () => {
    expect((await exchange('ABCD-2345')).status).toBe(202); // the device shows ABCD-2345 and waits
    await page.click('#tabs [data-tab="provision"]');
    await page.waitForSelector('#waiting-codes tr[data-code="ABCD-2345"]');
    await page.fill('#claim-code', 'abcd2345'); // typed loosely, normalized by the page
    await page.selectOption('#claim-window', 'w-01');
    await shot('02-provision');
    await page.click('#claim-form button[type="submit"]');
    await page.waitForSelector('#toast:has-text("已认领")');
    await page.waitForSelector('#waiting-codes tr[data-code="ABCD-2345"]', { state: 'detached' });
    const res = await exchange('ABCD-2345');
    expect(res.status).toBe(200);
    creds = (await res.json()) as ProvisionResponse;
    expect(creds.windowId).toBe('w-01');

    await page.selectOption('#code-window', 'w-01');
    await page.click('#code-form button[type="submit"]');
    await page.waitForSelector('#code-result:not([hidden])');
    expect(await page.textContent('#code-result')).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  });

  it('shows the device going online and offline live, with its telemetry and alerts', async () => {
    device = await new DevicePublisher({ ...creds, mqtt: { ...creds.mqtt, url: hub.mqttUrl } }).connect();
    await page.click('#tabs [data-tab="devices"]');
    const card = `#device-grid [data-device="${creds.deviceId}"]`;
    await page.waitForSelector(card);
    await publishStatus('online');
    await page.waitForSelector(`${card}[data-state="online"]:has-text("在线")`);
    await device.publishRaw(buildTopic(creds.hallId, creds.deviceId, 'telemetry'), JSON.stringify({
      ...exampleTelemetry, at: new Date().toISOString(), backlog: 3,
      input: { driver: 'hid', state: 'failed' }, clock: { ...exampleTelemetry.clock, trusted: false, source: 'none', bootId: 'boot-1' },
    }));
    // the input failure raises an alert: the page reloads on alert.raised and shows the telemetry too
    await page.waitForSelector('#alert-list [data-alert="input-failed"]');
    await page.waitForSelector(`${card}:has-text("hid · 故障")`);
    expect(await page.textContent(card)).toContain('不可信');
    expect(await page.textContent(card)).toContain('1号综合窗口');
    await shot('03-devices-online');
    await publishStatus('offline');
    await page.waitForSelector(`${card}[data-state="offline"]:has-text("正常关机")`);
    await page.waitForSelector('#device-summary [data-count="offline"]:text-is("离线 1")');
    await shot('04-devices-offline');
    await publishStatus('online');
    await page.waitForSelector(`${card}[data-state="online"]`);
  });

  it('shows a new rating at the top of the live feed as 差评 with its reasons', async () => {
    await page.click('#tabs [data-tab="ratings"]');
    await page.waitForSelector('#rating-feed li.none');
    const good = makeRating(creds, { level: 5 });
    await device!.publishRatings([good]);
    await device!.waitAcks([good.id]);
    await page.waitForSelector(`#rating-feed li.good[data-rating="${good.id}"]:has-text("好评")`);
    // a 差评 arriving while the operator looks at the devices: toast and a count on the feed's tab
    await page.click('#tabs [data-tab="devices"]');
    const bad = makeRating(creds, { level: 2, indicators: ['501', '502'] });
    await device!.publishRatings([bad]);
    await device!.waitAcks([bad.id]);
    await page.waitForSelector('#tabs [data-tab="ratings"][data-badge="1"]');
    await page.waitForSelector('#toast:has-text("新差评：1号综合窗口 · 王晓燕 · 不满意")');
    await page.click('#tabs [data-tab="ratings"]');
    await page.waitForSelector('#tabs [data-tab="ratings"][data-badge=""]');
    const li = `#rating-feed li.bad[data-rating="${bad.id}"]`;
    await page.waitForSelector(li);
    expect(await page.getAttribute('#rating-feed li:first-child', 'data-rating')).toBe(bad.id);
    const text = await page.textContent(li);
    expect(text).toContain('差评');
    expect(text).toContain('不满意');
    expect(text).toContain('服务态度差、办理时间过长');
    expect(text).toContain('王晓燕');
    expect(text).toContain('1号综合窗口');
    await shot('05-ratings');
  });

  it('draws the satisfaction charts with ECharts from the stored ratings', async () => {
    await page.click('#tabs [data-tab="charts"]');
    await page.waitForSelector('#tab-charts[data-total="2"]');
    await page.waitForSelector('#chart-trend canvas');
    await page.waitForSelector('#chart-windows canvas');
    await page.waitForSelector('#chart-items canvas');
    await shot('06-charts');
  });

  it('creates staff with a photo and a window, and edits the window', async () => {
    await page.click('#tabs [data-tab="registry"]');
    await page.waitForSelector('#staff-rows tr[data-staff="staff-007"]');
    const f = '#staff-form';
    await page.fill(`${f} [name="id"]`, 'staff-008');
    await page.fill(`${f} [name="name"]`, '陈建国');
    await page.fill(`${f} [name="number"]`, 'A0108');
    await page.fill(`${f} [name="title"]`, '综合受理员');
    await page.fill(`${f} [name="starLevel"]`, '4');
    // a 1×1 PNG
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z/C/HgAGgwJ/lK3Q6wAAAABJRU5ErkJggg==', 'base64');
    await page.setInputFiles(`${f} [name="photo"]`, { name: 'chen.png', mimeType: 'image/png', buffer: png });
    await page.click(`${f} button[type="submit"]`);
    await page.waitForSelector('#staff-rows tr[data-staff="staff-008"] img.photo');
    expect(hub.services.registry.photo('staff-008')?.photo.equals(png)).toBe(true);

    const w = '#window-form';
    await page.fill(`${w} [name="id"]`, 'w-02');
    await page.fill(`${w} [name="name"]`, '2号社保窗口');
    await page.selectOption(`${w} [name="staffId"]`, 'staff-008');
    await page.click(`${w} button[type="submit"]`);
    await page.waitForSelector('#window-rows tr[data-window="w-02"]:has-text("陈建国")');
    await page.click('#window-rows tr[data-window="w-02"] [data-action="edit"]');
    await page.fill(`${w} [name="name"]`, '2号社保医保窗口');
    await page.click(`${w} button[type="submit"]`);
    await page.waitForSelector('#window-rows tr[data-window="w-02"]:has-text("2号社保医保窗口")');
    expect(hub.services.registry.getWindow('w-02')?.name).toBe('2号社保医保窗口');
    await shot('07-registry');
  });

  it('shows the forwarding backlog and retries and discards dead letters', async () => {
    await page.click('#tabs [data-tab="forward"]');
    await page.waitForSelector('#fwd-backlog [data-kpi="deadOpen"]:has-text("2")');
    const [first, second] = await page.$$eval('#dead-rows tr[data-dead]', (rows) => rows.map((r) => r.getAttribute('data-dead')!));
    await shot('08-forward');
    await page.click(`#dead-rows tr[data-dead="${first}"] [data-action="retry"]`);
    await page.waitForSelector(`#dead-rows tr[data-dead="${first}"][data-state="retried"]`);
    await page.click(`#dead-rows tr[data-dead="${second}"] [data-action="discard"]`);
    await page.waitForSelector('#toast:has-text("请填写放弃原因")');
    await page.fill(`#dead-rows tr[data-dead="${second}"] input`, '重复记录，已人工核实');
    await page.click(`#dead-rows tr[data-dead="${second}"] [data-action="discard"]`);
    await page.waitForSelector(`#dead-rows tr[data-dead="${second}"][data-state="discarded"]`);
    await page.waitForSelector('#fwd-backlog [data-kpi="deadOpen"] .n:text-is("0")');
    const states = ext.forwarder!.outbox.deadLetters({ limit: 10 }).map((d) => d.state).sort();
    expect(states).toEqual(['discarded', 'retried']);
  });

  it('fits a tablet screen without sideways scrolling', async () => {
    const tablet = await browser.newContext({ viewport: { width: 820, height: 1180 }, locale: 'zh-CN', hasTouch: true, storageState: await context.storageState() });
    const p = await tablet.newPage();
    await p.goto(`${url}/#devices`);
    await p.waitForSelector('body[data-ready="true"]');
    for (const tab of ['devices', 'ratings', 'provision', 'registry', 'forward', 'charts']) {
      await p.click(`#tabs [data-tab="${tab}"]`);
      await p.waitForSelector(`#tab-${tab}:not([hidden])`);
      // evaluated in the page (the test's own tsconfig has no DOM types)
      const overflow = await p.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
      expect(overflow, tab).toBeLessThanOrEqual(0);
    }
    await p.click('#tabs [data-tab="ratings"]');
    await p.waitForSelector('#rating-feed li.bad');
    await p.screenshot({ path: join(SHOTS, '10-tablet-ratings.png'), fullPage: true });
    await tablet.close();
  });

  it('goes back to the login page when the session is gone (401)', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', storageState: await context.storageState() });
    const p = await other.newPage();
    await p.goto(`${url}/#devices`);
    await p.waitForSelector('body[data-ready="true"]');
    await other.clearCookies();
    await p.click('#tabs [data-tab="registry"]');
    await p.waitForURL(/\/login$/);
    await other.close();
  });

  it('decommissions the device from its card', async () => {
    await page.click('#tabs [data-tab="devices"]');
    await page.click(`#device-grid [data-device="${creds.deviceId}"] [data-action="decommission"]`);
    await page.waitForSelector(`#device-grid [data-device="${creds.deviceId}"]`, { state: 'detached' });
    expect(hub.services.registry.getDevice(creds.deviceId)?.state).toBe('revoked');
  });

  it('hides what an auditor may not do, switches to English, and logs out', async () => {
    const other = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN' });
    const p = await other.newPage();
    await p.goto(`${url}/login`);
    await p.fill('#username', 'li');
    await p.fill('#password', PASSWORD);
    await p.click('#login-submit');
    await p.waitForSelector('body[data-ready="true"]');
    expect(await p.textContent('#who')).toBe('li · 审计人员');
    expect(await p.isHidden('#tabs [data-tab="provision"]')).toBe(true);
    expect(await p.isHidden(`#device-grid [data-action="decommission"]`)).toBe(true);
    await p.click('#tabs [data-tab="registry"]');
    await p.waitForSelector('#staff-rows tr[data-staff="staff-008"]');
    expect(await p.isHidden('#staff-form')).toBe(true);
    await p.click('#lang-toggle');
    await p.waitForSelector('#tabs [data-tab="registry"]:text-is("Registry")');
    await p.screenshot({ path: join(SHOTS, '09-auditor-english.png'), fullPage: true });
    await other.close();

    await page.click('#logout');
    await page.waitForURL(/\/login$/);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    expect(me).toBe(401);
    await page.goto(`${url}/`);
    await page.waitForURL(/\/login$/);
    // no script errors and no CSP violations on the way (the wrong-password 401 aside)
    expect(pageErrors).toEqual([]);
  });
});
