/**
 * Statistics in headless Chromium against a real hub (SQLite file, embedded broker, HTTP on port 0)
 * holding the fixture week: a manager logs in, picks the range in the statistics tab, sees the key
 * figures of /api/stats, downloads the ratings as Excel and CSV (parsed back: masked, nothing
 * personal in clear), opens the weekly 通报 print page (and prints it), downloads its PDF, and a
 * visitor without login opens the public results page at a phone viewport.
 * Screenshots and the downloaded files go to test-artifacts/stats/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import ExcelJS from 'exceljs';
import { DataCrypto, loadKeyRing } from '../../src/crypto/data-key.js';
import { FakeClock, startTestHub, type TestHub } from '../helpers/hub.js';
import { APPLICANT, seedStatsFixture } from './fixture.js';
import { parseCsv, pdfText } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = resolve(import.meta.dirname, '../../../test-artifacts/stats');
const PASSWORD = 'correct horse battery';
const SECRETS = [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone, '13900001111'];

describe.skipIf(!existsSync(CHROMIUM))('statistics, exports and reports in headless Chromium', () => {
  const clock = new FakeClock(Date.parse('2026-11-23T02:00:00.000Z'));
  let th: TestHub;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const shot = (p: Page, name: string) => p.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    th = await startTestHub({ hallName: '杭州市民中心' }, { clock });
    url = th.httpUrl;
    const crypto = new DataCrypto(loadKeyRing(th.dataDir, {}));
    seedStatsFixture(th.hub.db, { encrypt: (p) => crypto.encrypt(p), hallId: th.hub.config.hallId });
    th.hub.services.operators.createUser({ username: 'zhang', password: PASSWORD, role: 'manager' }, 'test');
    th.hub.services.deviceSettings.setIndicators({ version: 't1', items: [{ code: '501', name: '服务态度差' }] }, '2026-11-01T00:00:00.000Z');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // failed requests are checked by URL; the forwarding tab probes /api/forward/ and hides itself on 404 (no forwarding here)
    page.on('response', (r) => { if (r.status() >= 400 && r.status() !== 401 && !r.url().includes('/api/forward/')) pageErrors.push(`${r.status()} ${r.url()}`); });
    page.on('console', (m) => { if (m.type() === 'error' && !/401|Unauthorized|Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });
  });

  afterAll(async () => {
    await browser?.close();
    await th?.stop();
  });

  it('logs in and shows the week’s key figures from /api/stats', async () => {
    await page.goto(`${url}/login`);
    await page.fill('#username', 'zhang');
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('body[data-ready="true"]');
    await page.click('#tabs [data-tab="charts"]');
    await page.fill('#stats-from', '2026-11-16');
    await page.fill('#stats-to', '2026-11-22');
    await page.click('#stats-range button[type="submit"]');
    await page.waitForSelector('[data-kpi="st.cases"] .n:text-is("12")');
    expect(await page.textContent('[data-kpi="st.participation"] .n')).toBe('58.3%');
    expect(await page.textContent('[data-kpi="st.rectifyRate"] .n')).toBe('50.0%');
    expect(await page.textContent('[data-kpi="st.defaultShare"] .n')).toBe('25.0%');
    await page.waitForSelector('#tab-charts[data-total="12"]', { state: 'attached' });
    await page.waitForTimeout(300); // let ECharts paint before the screenshot (not an assertion)
    await shot(page, '01-statistics-tab');
    expect(await page.getAttribute('#exp-ratings-xlsx', 'href')).toBe('/api/exports/ratings?from=2026-11-16&to=2026-11-22&format=xlsx');
  });

  it('downloads the ratings as Excel and CSV, applicant data masked', async () => {
    const [xl] = await Promise.all([page.waitForEvent('download'), page.click('#exp-ratings-xlsx')]);
    expect(xl.suggestedFilename()).toBe('评价明细_2026-11-16_2026-11-22.xlsx');
    const xlPath = join(OUT, 'ratings.xlsx');
    await xl.saveAs(xlPath);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlPath);
    const ws = wb.getWorksheet('评价明细')!;
    expect(ws.rowCount).toBe(13); // title, header, 11 ratings
    const cells = JSON.stringify(ws.getSheetValues());
    expect(cells).toContain('138****5678');
    for (const s of SECRETS) expect(cells).not.toContain(s);

    await page.selectOption('#exp-group', 'department');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#exp-stats-csv')]);
    const csvPath = join(OUT, 'stats-department.csv');
    await csv.saveAs(csvPath);
    const [head, ...rows] = parseCsv(readFileSync(csvPath, 'utf8').slice(1));
    expect(head!.slice(0, 2)).toEqual(['部门编号', '部门']);
    expect(rows.map((r) => r[1])).toEqual(['（未设置）', '人社局', '市场监管局', '合计']);
  });

  it('opens the weekly 通报 print page, prints it, and downloads its PDF', async () => {
    const [report] = await Promise.all([context.waitForEvent('page'), page.click('#rep-week-html')]);
    await report.waitForSelector('#report-title');
    const title = '杭州市民中心政务服务“好差评”周通报（2026年11月16日至2026年11月22日）';
    expect(await report.textContent('#report-title')).toBe(title);
    await shot(report, '02-bulletin-page');
    await report.emulateMedia({ media: 'print' });
    expect(await report.isVisible('#pdf-link')).toBe(false); // the action bar is not printed
    await report.pdf({ path: join(OUT, 'bulletin-printed-by-browser.pdf'), format: 'A4' });
    await report.close();

    const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('#rep-week-pdf')]);
    expect(pdf.suggestedFilename()).toBe('好差评周通报_2026-11-16_2026-11-22.pdf');
    const pdfPath = join(OUT, 'bulletin-week.pdf');
    await pdf.saveAs(pdfPath);
    const bytes = readFileSync(pdfPath);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await pdfText(bytes)).replace(/\s/g, '')).toContain(title);
    expect(pageErrors).toEqual([]);
  });

  it('shows the public results page to a visitor without login, at a phone viewport', async () => {
    const visitor = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true });
    const p = await visitor.newPage();
    const res = await p.goto(`${url}/public/results?month=2026-11`);
    expect(res!.status()).toBe(200);
    expect(await p.textContent('#public-title')).toBe('杭州市民中心 政务服务“好差评”结果公示');
    expect(await p.textContent('#public-departments tbody tr:first-child td:first-child')).toBe('市场监管局');
    const text = await p.textContent('body');
    for (const s of [...SECRETS, '王晓燕', '李明']) expect(text).not.toContain(s);
    await shot(p, '03-public-results-phone');
    await visitor.close();
  });
});
