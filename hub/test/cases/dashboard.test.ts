/**
 * The 差评处理 tab in headless Chromium against a real hub (SQLite file, embedded MQTT broker, HTTP on
 * port 0): a 差评 published by a provisioned device shows up live; an operator walks it through
 * 回访 → 整改 → 办结; a manager extends a deadline; another case is closed as unable; an appeal is
 * filed by the operator and decided by a manager (upheld: the rating is excluded); an auditor
 * reads without actions; the English toggle. Screenshots go to test-artifacts/cases/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { provisionDevice } from '../helpers/hub.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { seedCase } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '../../../test-artifacts/cases');
const PASSWORD = 'correct horse battery';

describe.skipIf(!existsSync(CHROMIUM))('差评处理 tab in headless Chromium', () => {
  let hub: Hub;
  let dataDir: string;
  let url: string;
  let browser: Browser;
  let device: DevicePublisher | undefined;
  const pageErrors: string[] = [];
  const pages: Page[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hcp-cases-ui-'));
    hub = new Hub(makeConfig({ dataDir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent', hallName: '杭州市民中心' }),
      { logger: pino({ level: process.env.HCP_TEST_LOG ?? 'silent' }) });
    url = (await hub.start()).httpUrl;
    const s = hub.services;
    s.operators.createUser({ username: 'wang', password: PASSWORD, role: 'operator' }, 'test');
    s.operators.createUser({ username: 'zhang', password: PASSWORD, role: 'manager' }, 'test');
    s.operators.createUser({ username: 'li', password: PASSWORD, role: 'auditor' }, 'test');
    s.registry.createStaff({ id: 'staff-007', name: '王晓燕', number: 'A0107', starLevel: 5 }, 'test');
    s.registry.createWindow({ id: 'w-01', hallId: hub.config.hallId, name: '1号综合窗口', staffId: 'staff-007' }, 'test');
    s.deviceSettings.setIndicators({ version: '2026.11', items: [{ code: '501', name: '服务态度差' }, { code: '502', name: '办理时间过长' }] }, new Date().toISOString());
    device = await new DevicePublisher(provisionDevice(hub, 'w-01')).connect();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await device?.close().catch(() => undefined);
    await browser?.close();
    await hub?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function login(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    page.on('pageerror', (err) => pageErrors.push(`${username}: ${err.message}`));
    // failed requests are checked by URL below; the forward tab's probe answers 404 without the forward extension
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${username}: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/api/forward/backlog')) pageErrors.push(`${username}: ${r.status()} ${r.url()}`); });
    await page.goto(`${url}/login`);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('body[data-ready="true"]');
    pages.push(page);
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const row = (id: string) => `#case-rows tr[data-case="${id}"]`;
  const detail = (id: string) => `#case-detail article[data-case="${id}"]`;
  /** The detail pane while it shows this case (forms and history sit beside the card). */
  const pane = (id: string) => `#case-detail:has(article[data-case="${id}"])`;

  let op: Page;
  let mgr: Page;
  let liveCase = '';

  it('raises a live alert when a device stores a 差评 and lists the new case', async () => {
    op = await login('wang');
    await op.click('#tabs [data-tab="cases"]');
    await op.waitForSelector('#case-rows td.none:has-text("暂无差评工单")');
    const bad = makeRating(device!.creds, { level: 1, indicators: ['501'], text: '窗口人员态度生硬，让我来回跑了三趟' });
    await device!.publishRatings([bad]);
    await device!.waitAcks([bad.id]);
    liveCase = hub.services.cases.list({ limit: 10, offset: 0 }).items[0]!.id;
    await op.waitForSelector(`#toast:has-text("新差评工单：${liveCase}")`);
    await op.waitForSelector(`${row(liveCase)}[data-state="new"]:has-text("待回访")`);
    await op.waitForSelector('#tabs [data-tab="cases"][data-badge="1"]');
    expect(await op.textContent(row(liveCase))).toContain('1号综合窗口');
    await op.click(row(liveCase));
    await op.waitForSelector(`${detail(liveCase)}:has-text("窗口人员态度生硬")`);
    expect(await op.textContent(detail(liveCase))).toContain('服务态度差');
    await shot(op, '01-new-case');
  });

  it('walks the case through 回访 → 整改 → 办结, each step in the history with who', async () => {
    const form = (name: string) => `#case-detail form[data-form="${name}"]`;
    // an empty note is refused on the page before anything is sent
    await op.click(`${form('transition')} button[type="submit"]`);
    expect(hub.services.cases.get(liveCase)!.state).toBe('new');
    await op.fill(`${form('transition')} textarea`, '已电话联系评价人，核实为等候与材料告知问题');
    await op.click(`${form('transition')} button[data-to="contacted"]`);
    await op.waitForSelector(`${detail(liveCase)}[data-state="contacted"]`);
    await op.waitForSelector('#case-steps li[data-step="contacted"]:has-text("wang")');
    await shot(op, '02-contacted');
    await op.fill(`${form('transition')} textarea`, '对窗口人员开展一次性告知培训，增设材料清单');
    await op.click(`${form('transition')} button[data-to="rectifying"]`);
    await op.waitForSelector(`${detail(liveCase)}[data-state="rectifying"]`);
    await shot(op, '03-rectifying');
    await op.fill(`${form('transition')} textarea`, '培训已完成，已电话向评价人反馈整改情况');
    await op.click(`${form('transition')} button[data-to="done"]`);
    await op.waitForSelector(`${detail(liveCase)}[data-state="done"]`);
    await op.waitForSelector(`${row(liveCase)}`, { state: 'detached' }); // the default list shows open cases
    expect(await op.$$eval('#case-steps li', (li) => li.map((x) => x.getAttribute('data-step')))).toEqual(['opened', 'contacted', 'rectifying', 'done']);
    // no follow-up is left on a closed case (an appeal stays possible within its window)
    for (const f of ['transition', 'unable', 'extend']) expect(await op.$(`#case-detail form[data-form="${f}"]`), f).toBeNull();
    expect(await op.$('#case-detail form[data-form="appeal"]')).not.toBeNull();
    await shot(op, '04-done');
    expect(hub.services.cases.get(liveCase)).toMatchObject({ state: 'done', version: 4 });
  });

  let appealCase = '';
  let unableCase = '';
  let overdueCase = '';

  it('shows overdue cases first with a badge; a manager extends the deadline with a reason', async () => {
    overdueCase = seedCase(hub, { at: Date.now() - 40 * 86_400_000, text: '办理超时' })!;
    unableCase = seedCase(hub, { level: 2 })!;
    appealCase = seedCase(hub, { level: 1, text: '不满意' })!;
    mgr = await login('zhang');
    await mgr.click('#tabs [data-tab="cases"]');
    await mgr.waitForSelector(`${row(overdueCase)} [data-badge="overdue"]:has-text("逾期")`);
    expect(await mgr.getAttribute('#case-rows tr:first-child', 'data-case')).toBe(overdueCase);
    await mgr.waitForSelector('#case-kpis [data-kpi="overdue"] .n:text-is("1")');
    await mgr.check('#case-filter-overdue');
    await mgr.click('#case-filter button[type="submit"]');
    await mgr.waitForSelector(row(unableCase), { state: 'detached' });
    expect(await mgr.$$eval('#case-rows tr[data-case]', (r) => r.map((x) => x.getAttribute('data-case')))).toEqual([overdueCase]);
    await shot(mgr, '05-overdue');
    await mgr.click(row(overdueCase));
    await mgr.waitForSelector(`${pane(overdueCase)} form[data-form="extend"]`);
    await mgr.fill('#case-detail form[data-form="extend"] input[name="days"]', '3');
    await mgr.fill('#case-detail form[data-form="extend"] textarea', '需协调不动产登记中心共同整改');
    await mgr.click('#case-detail form[data-form="extend"] button[type="submit"]');
    await mgr.waitForSelector('#case-steps li[data-step="extended"]:has-text("需协调不动产登记中心共同整改")');
    expect(hub.services.cases.get(overdueCase)).toMatchObject({ extensions: 1, overdue: false });
    await mgr.waitForSelector(`${detail(overdueCase)} [data-badge="overdue"]`, { state: 'detached' });
    await shot(mgr, '06-extended');
    await mgr.uncheck('#case-filter-overdue');
    await mgr.click('#case-filter button[type="submit"]');
    await mgr.waitForSelector(row(unableCase));
  });

  it('closes a case as unable, only with a reason', async () => {
    await op.click('#case-filter button[type="submit"]');
    await op.click(row(unableCase));
    await op.click('#case-detail details.case-unable summary');
    await op.fill('#case-detail form[data-form="unable"] textarea', '评价人未留联系方式，且当日无办件记录，无法核实');
    await op.click('#case-detail form[data-form="unable"] button[type="submit"]');
    await op.waitForSelector(`${detail(unableCase)}[data-state="unable"]:has-text("无法核实")`);
    await shot(op, '07-unable');
  });

  it('an operator files an appeal for the staff member; a manager reviews it: upheld excludes the rating', async () => {
    await op.click('#case-filter button[type="submit"]');
    await op.click(row(appealCase));
    const f = '#case-detail form[data-form="appeal"]';
    await op.waitForSelector(f);
    expect(await op.inputValue(`${f} input[name="staffId"]`)).toBe('staff-007');
    await op.selectOption(`${f} select[name="claim"]`, 'mistaken');
    await op.fill(`${f} textarea`, '评价人事后来电说明误按了“非常不满意”，有通话记录');
    await op.click(`${f} button[type="submit"]`);
    await op.waitForSelector(`${detail(appealCase)} [data-role="appeal-state"]:has-text("待复核")`);
    await op.waitForSelector(`${row(appealCase)} [data-badge="appeal"]`);
    // operators do not review
    expect(await op.$('#case-detail form[data-form="review"]')).toBeNull();
    await shot(op, '08-appealed');

    await mgr.click('#case-filter button[type="submit"]');
    await mgr.click(row(appealCase));
    const r = '#case-detail form[data-form="review"]';
    await mgr.waitForSelector(r);
    await mgr.selectOption(`${r} select[name="decision"]`, 'upheld');
    await mgr.selectOption(`${r} select[name="reason"]`, 'mistaken');
    await mgr.fill(`${r} textarea`, '核实通话记录，属误评');
    await shot(mgr, '09-review');
    await mgr.click(`${r} button[type="submit"]`);
    await mgr.waitForSelector(`${detail(appealCase)}[data-state="done"] [data-badge="excluded"]`);
    await mgr.waitForSelector(`${detail(appealCase)}:has-text("申诉成立（误评）")`);
    const ratingId = hub.services.cases.get(appealCase)!.ratingId;
    expect(hub.services.db.prepare('SELECT reason, decided_by AS by FROM rating_exclusions WHERE rating_id = ?').get(ratingId)).toEqual({ reason: 'mistaken', by: 'user:zhang' });
    expect(await mgr.$$eval('#case-steps li', (li) => li.map((x) => x.getAttribute('data-step')))).toEqual(['opened', 'appealed', 'appeal-upheld']);
    await shot(mgr, '10-upheld');
    // the operator's page follows the change live
    await op.waitForSelector(`${detail(appealCase)}[data-state="done"]`);
  });

  it('an auditor reads cases and history without any action; the English toggle relabels the tab', async () => {
    const au = await login('li');
    await au.click('#tabs [data-tab="cases"]');
    await au.selectOption('#case-filter-state', '');
    await au.click('#case-filter button[type="submit"]');
    await au.click(row(liveCase));
    await au.waitForSelector(`${pane(liveCase)} #case-steps li[data-step="done"]`);
    expect(await au.$('#case-detail form')).toBeNull();
    await au.click('#lang-toggle');
    await au.waitForSelector('#tabs [data-tab="cases"]:text-is("Bad reviews")');
    await au.waitForSelector(`${row(liveCase)} [data-badge="state"]:text-is("Done")`);
    await shot(au, '11-auditor-en');
    await au.click('#lang-toggle');
  });

  it('a manager reveals the citizen\'s phone for 回访 in place; the reveal is audit-logged with the case as reason', async () => {
    const session = await hub.services.sessions.open({
      windowId: 'w-01', caseNumbers: ['330100-2026-000777'], item: { code: '330100-000-XK-001', name: '食品经营许可' }, staffId: 'staff-007',
      applicant: { name: '张三丰', idType: '111', idNumber: '330106199001011234', phone: '13800138000', userType: 'person' },
    }, 'test', url);
    const id = seedCase(hub, { sessionId: session.id, text: '材料一次性告知不清' })!;
    await mgr.click('#tab-cases #case-filter button[type="submit"]');
    await mgr.click(row(id));
    await mgr.waitForSelector(`${pane(id)} [data-role="applicant"]:text-is("张** · 138****8000")`);
    await mgr.click(`${pane(id)} button[data-action="reveal"]`);
    await mgr.waitForSelector(`${pane(id)} [data-role="applicant"]:text-is("张三丰 · 13800138000")`);
    await shot(mgr, '11b-revealed');
    const audit = hub.db.prepare("SELECT actor, detail FROM audit_log WHERE action = 'personal-data.reveal' AND target = ?").all(`session:${session.id}`) as { actor: string; detail: string }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('user:zhang');
    expect(audit[0]!.detail).toContain(`差评回访 ${id}`);
    expect(audit[0]!.detail).not.toContain('13800138000');
    // an operator sees the masked data and no reveal button
    await op.click('#tab-cases #case-filter button[type="submit"]');
    await op.click(row(id));
    await op.waitForSelector(`${pane(id)} [data-role="applicant"]:text-is("张** · 138****8000")`);
    expect(await op.$(`${pane(id)} button[data-action="reveal"]`)).toBeNull();
  });

  it('fits a tablet screen without sideways scrolling', async () => {
    const tablet = await browser.newContext({ viewport: { width: 820, height: 1180 }, locale: 'zh-CN', hasTouch: true, storageState: await mgr.context().storageState() });
    const p = await tablet.newPage();
    await p.goto(`${url}/#cases`);
    await p.waitForSelector('body[data-ready="true"]');
    await p.waitForSelector(row(overdueCase));
    await p.click(row(overdueCase));
    await p.waitForSelector(`${pane(overdueCase)} form[data-form="transition"]`);
    const overflow = await p.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
    expect(overflow).toBeLessThanOrEqual(0);
    await p.screenshot({ path: join(SHOTS, '12-tablet.png'), fullPage: true });
    await tablet.close();
    expect(pageErrors).toEqual([]);
  });
});
