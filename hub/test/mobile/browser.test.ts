/**
 * The phone rating page in headless Chromium at a phone viewport (390×844, touch) against a real hub
 * (SQLite file, embedded broker, HTTP on port 0): the device's own session.start link is opened,
 * a 差评 is given with a reason, a sub-score and text; a lost answer is retried with the same key
 * and stored once; the page then offers the 追加 follow-up, which is given; an invalid link shows
 * the coded error page. No CSP violation or script error may occur. Then an operator acknowledges a
 * misuse flag on the dashboard's 异常标记 tab. Screenshots: test-artifacts/mobile/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Rating } from '@hcp/protocol';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { provisionDevice } from '../helpers/hub.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '../../../test-artifacts/mobile');
const PASSWORD = 'correct horse battery';

describe.skipIf(!existsSync(CHROMIUM))('mobile rating page in headless Chromium (phone viewport)', () => {
  let hub: Hub;
  let dataDir: string;
  let url: string;
  let browser: Browser;
  let page: Page;
  let dev: DevicePublisher;
  let business: string;
  const problems: string[] = [];
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const ratingsOf = (sessionId: string): Rating[] =>
    (hub.db.prepare('SELECT body FROM ratings WHERE session_id = ? ORDER BY rowid').all(sessionId) as { body: string }[]).map((r) => JSON.parse(r.body) as Rating);

  /** Opens a session through the business API over HTTP and returns the link the device received. */
  const openSession = async (n: number): Promise<{ id: string; rateUrl: string }> => {
    const res = await fetch(`${url}/api/sessions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${business}` },
      body: JSON.stringify({
        windowId: 'w-01', caseNumbers: [`330100-2026-B${n}`], item: { code: '330100-000-XK-001', name: '食品经营许可证核发' }, staffId: 'staff-007',
        applicant: { name: '张三丰', idType: '111', idNumber: '330106199001011234', phone: '13800138000', userType: 'person' },
      }),
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    await dev.waitFor(() => dev.commands('session.start').some((c) => c.args.sessionId === id), 10_000, 'session.start');
    return { id, rateUrl: String(dev.commands('session.start').find((c) => c.args.sessionId === id)!.args.rateUrl) };
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hcp-mobile-browser-'));
    hub = new Hub(makeConfig({ dataDir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent', hallName: '杭州市民中心' }),
      { logger: pino({ level: process.env.HCP_TEST_LOG ?? 'silent' }) });
    url = (await hub.start()).httpUrl;
    const s = hub.services;
    s.deviceSettings.setIndicators({
      version: '2026.11', items: [
        { code: '501', name: '服务态度差', group: '服务态度' }, { code: '502', name: '办理时间过长', group: '服务效率' }, { code: '517', name: '未一次性告知', group: '服务效率' },
      ],
    }, new Date().toISOString());
    dev = await new DevicePublisher(provisionDevice(hub, 'w-01')).connect();
    business = s.operators.createToken('queue-system', 'business', 'test').token;
    s.operators.createUser({ username: 'wang', password: PASSWORD, role: 'operator' }, 'test');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    page = await phone.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    // expected console errors: the coded 4xx answers the tests provoke, and the answer the test cuts off
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 4(04|09|10)|net::ERR_(CONNECTION_RESET|FAILED)/.test(m.text())) problems.push(m.text()); });
  });

  afterAll(async () => {
    await dev?.close();
    await browser?.close();
    await hub?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('rates a 差评 with reason, sub-score and text by touch; a lost answer is retried and stored once; the device session is ended', async () => {
    const s = await openSession(1);
    expect(s.rateUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/m\/r\/[\w-]+\.[\w-]{43}$/);
    await page.goto(s.rateUrl);
    await page.waitForSelector('#app[data-ready="true"]');
    await expect(page.locator('h1').first().textContent()).resolves.toBe('食品经营许可证核发');
    const text = await page.locator('body').innerText();
    expect(text).toContain('王晓燕');
    expect(text).not.toContain('张三');
    // five levels with the official names, large enough to tap
    const levels = page.locator('button.level');
    await expect(levels.allInnerTexts()).resolves.toEqual(['★★★★★\n非常满意', '★★★★☆\n满意', '★★★☆☆\n基本满意', '★★☆☆☆\n不满意', '★☆☆☆☆\n非常不满意']);
    for (const box of await Promise.all((await levels.all()).map((l) => l.boundingBox()))) expect(box!.height).toBeGreaterThanOrEqual(48);
    await shot(page, '01-page');

    await page.tap('button.level[data-level="2"]');
    await page.waitForSelector('[data-part="reasons"]');
    await page.tap('#submit');
    await page.waitForSelector('.problem[data-code="HCP_BAD_REVIEW_NEEDS_REASON"]');
    await shot(page, '02-needs-reason');
    await page.tap('button.chip[data-indicator="502"]');
    await page.tap('summary');
    await page.tap('[data-aspect="efficiency"] button.star[aria-label="2 星"]');
    await page.fill('#text', '排队一个多小时，窗口只开了一个');

    // the first answer is lost on the way back: the page retries with the same key
    let posts = 0;
    await page.route('**/api/m/r/*/ratings', async (route) => {
      posts++;
      if (posts === 1) {
        await route.fetch(); // reaches the hub, which stores the rating
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await page.tap('#submit');
    await page.waitForSelector('[data-state="thanks"]');
    await page.unroute('**/api/m/r/*/ratings');
    expect(posts).toBe(2);
    await shot(page, '03-thanks');
    const stored = ratingsOf(s.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ level: 2, channel: 3, origin: 'mobile', assessNumber: 1, indicators: ['502'], subScores: { efficiency: 2 }, text: '排队一个多小时，窗口只开了一个' });
    // the device still showed the prompt: the hub ends it there
    await dev.waitFor(() => dev.commands('session.cancel').some((c) => c.args.sessionId === s.id), 10_000, 'session.cancel');
  });

  it('offers the 追加 follow-up on the same link, records it as assessNumber 2, and then says both are given', async () => {
    const s = await openSession(2);
    await page.goto(s.rateUrl);
    await page.waitForSelector('#app[data-ready="true"]');
    await page.tap('button.level[data-level="5"]');
    await page.tap('#submit');
    await page.waitForSelector('[data-state="thanks"]');
    await page.reload();
    await page.waitForSelector('[data-state="rated"]');
    await expect(page.locator('h2', { hasText: '追加评价' }).count()).resolves.toBe(1);
    await shot(page, '04-follow-up');
    await page.tap('button.level[data-level="3"]');
    await page.fill('#text', '回家后发现材料清单少告知了一项');
    await page.tap('#submit');
    await page.waitForSelector('[data-state="thanks"]:has-text("追加评价已提交")');
    await page.reload();
    await page.waitForSelector('[data-state="done"]');
    expect(await page.locator('[data-given]').allInnerTexts()).toHaveLength(2);
    await shot(page, '05-both-given');
    expect(ratingsOf(s.id).map((r) => [r.assessNumber, r.level, r.channel])).toEqual([[1, 5, 3], [2, 3, 3]]);
  });

  it('says so when the session was already rated at the device', async () => {
    const s = await openSession(3);
    const r = makeRating(dev.creds, { sessionId: s.id, caseNumbers: ['330100-2026-B3'], origin: 'session', level: 4 });
    await dev.publishRatings([r]);
    await dev.waitAcks([r.id]);
    await page.goto(s.rateUrl);
    await page.waitForSelector('[data-state="rated"]');
    expect(await page.locator('[data-given]').innerText()).toContain('政务大厅其他终端');
    await shot(page, '06-rated-at-device');
  });

  it('shows a clear Chinese page with the code for an invalid link', async () => {
    const res = await page.goto(`${url}/m/r/not-a-link`);
    expect(res!.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe('评价链接无效');
    await expect(page.locator('[data-code]').getAttribute('data-code')).resolves.toBe('HCP_RATE_LINK_INVALID');
    await shot(page, '07-invalid-link');
    expect(problems).toEqual([]);
  });

  it('lets an operator acknowledge a misuse flag on the dashboard 异常标记 tab', async () => {
    const w = makeRating(dev.creds, { origin: 'walk-up', flags: ['walk-up'], caseNumbers: [], level: 5 });
    await dev.publishRatings([w]);
    await dev.waitAcks([w.id]);
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const p = await desk.newPage();
    const deskProblems: string[] = [];
    p.on('pageerror', (err) => deskProblems.push(err.message));
    await p.goto(`${url}/login`);
    await p.fill('#username', 'wang');
    await p.fill('#password', PASSWORD);
    await p.click('#login-submit');
    await p.waitForSelector('body[data-ready="true"]');
    await p.click('#tabs [data-tab="misuse"]');
    const row = `#misuse-table tr[data-rule="walk-up"]`;
    await p.waitForSelector(row);
    await expect(p.locator('[data-kpi="walk-up"] .n').textContent()).resolves.toBe('1');
    await p.check(`${row} input[type="checkbox"]`);
    await p.fill('#mis-note', '已核实：评价器维护测试');
    await shot(p, 'misuse-tab');
    await p.click('#mis-ack');
    await p.waitForSelector(`${row}`, { state: 'detached' });
    await expect(p.locator('[data-kpi="walk-up"] .n').textContent()).resolves.toBe('0');
    await p.selectOption('#mis-state', 'acknowledged');
    await p.waitForSelector(`${row}[data-state="acknowledged"]:has-text("已核实：评价器维护测试")`);
    await shot(p, 'misuse-acknowledged');
    expect(hub.services.audit.list(20).some((a) => a.action === 'misuse.acknowledge' && a.actor === 'user:wang')).toBe(true);
    expect(deskProblems).toEqual([]);
    await desk.close();
  });
});
