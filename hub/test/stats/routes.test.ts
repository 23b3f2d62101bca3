/**
 * Statistics over HTTP against a real hub (real SQLite file, inject()): /api/stats with roles and
 * coded 400s, the CSV and Excel exports parsed back (no unmasked applicant data, audit-logged),
 * the 通报 as HTML and as PDF (text read back with pdfjs), the public results page (no login, no
 * personal or staff data, rate-limited), and the window department in the registry API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { DataCrypto, loadKeyRing } from '../../src/crypto/data-key.js';
import { FakeClock, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { APPLICANT, seedStatsFixture, type Fixture } from './fixture.js';
import { parseCsv, pdfText } from './helpers.js';
import { bulletinPdf } from '../../src/stats/pdf.js';
import { buildBulletin } from '../../src/stats/report.js';
import { StatsEngine } from '../../src/stats/engine.js';

/** Every way the fixture's applicant could leak unmasked. */
const SECRETS = [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone, '13900001111', APPLICANT.idNumber.slice(0, 10)];

describe('statistics API, exports and reports', () => {
  const clock = new FakeClock(Date.parse('2026-11-23T02:00:00.000Z')); // Monday 10:00 in the hall
  let th: TestHub;
  let fx: Fixture;
  let op: string;
  const week = 'from=2026-11-16&to=2026-11-22';

  beforeAll(async () => {
    th = await startTestHub({ hallName: '杭州市民中心', publicRatePerMin: 8 }, { clock });
    const crypto = new DataCrypto(loadKeyRing(th.dataDir, {}));
    fx = seedStatsFixture(th.hub.db, { encrypt: (p) => crypto.encrypt(p), hallId: th.hub.config.hallId });
    th.hub.services.deviceSettings.setIndicators({ version: 't1', items: [{ code: '501', name: '服务态度差' }] }, '2026-11-01T00:00:00.000Z');
    op = await tokenFor(th.hub, 'operator');
  });
  afterAll(async () => {
    await th?.stop();
  });

  it('answers /api/stats for read roles only, with the engine figures', async () => {
    expect((await call(th.hub, 'GET', `/api/stats?${week}`)).status).toBe(401);
    const biz = await call(th.hub, 'GET', `/api/stats?${week}`, { token: await tokenFor(th.hub, 'business') });
    expect([biz.status, biz.json().code]).toEqual([403, 'HCP_FORBIDDEN']);
    const r = await call(th.hub, 'GET', `/api/stats?${week}&groupBy=window`, { token: await tokenFor(th.hub, 'technician') });
    expect(r.status).toBe(200);
    const body = r.json<{ total: { cases: number; goodRate: number; participationRate: number; rectifyRate: number }; rows: { key: string; cases: number }[] }>();
    expect(body.total).toMatchObject({ cases: 12, goodRate: 0.5833, participationRate: 0.5833, rectifyRate: 0.5 });
    expect(body.rows.map((x) => [x.key, x.cases])).toEqual([['w-01', 7], ['w-02', 4], ['w-03', 1]]);
    // defaults: the last 30 local days up to today (the fixture's week is inside)
    const d = (await call(th.hub, 'GET', '/api/stats', { token: op })).json<{ from: string; to: string; total: { cases: number } }>();
    expect(d).toMatchObject({ from: '2026-10-25', to: '2026-11-23' });
    expect(d.total.cases).toBe(14); // the week plus R10 (11-15) and R9 (11-23)
    const citizens = (await call(th.hub, 'GET', `/api/stats?${week}&defaults=exclude`, { token: op })).json<{ total: { cases: number } }>();
    expect(citizens.total.cases).toBe(9);
  });

  it('answers bad queries with coded 400s that name the fields', async () => {
    const bad = async (q: string) => {
      const r = await call(th.hub, 'GET', `/api/stats?${q}`, { token: op });
      expect(r.status).toBe(400);
      const b = r.json<{ code: string; detail: { errors: { field: string }[] } }>();
      expect(b.code).toBe('HCP_VALIDATION');
      return b.detail.errors.map((e) => e.field);
    };
    expect(await bad('groupBy=floor')).toContain('/groupBy');
    expect(await bad('period=year')).toContain('/period');
    expect(await bad('from=2026-13-01&to=2026-12-01')).toEqual(['/from']);
    expect(await bad('from=2026-11-20&to=2026-11-10')).toEqual(['/to']);
    expect(await bad('period=day&from=2020-01-01&to=2026-01-01')).toEqual(['/to']);
    expect(await bad('colour=red')).toEqual(['/colour']);
  });

  it('exports the ratings as CSV: every record in time order, applicant data masked, audit-logged', async () => {
    expect((await call(th.hub, 'GET', `/api/exports/ratings?${week}`, { token: await tokenFor(th.hub, 'technician') })).status).toBe(403);
    const res = await th.hub.http.inject({ method: 'GET', url: `/api/exports/ratings?${week}&format=csv`, headers: { authorization: `Bearer ${op}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''%E8%AF%84%E4%BB%B7%E6%98%8E%E7%BB%86_2026-11-16_2026-11-22.csv");
    expect(res.body.startsWith('\uFEFF评价编号,')).toBe(true);
    for (const s of SECRETS) expect(res.body).not.toContain(s);
    const [head, ...rows] = parseCsv(res.body.slice(1));
    const col = (name: string) => head!.indexOf(name);
    // R1..R8 (R5 excluded but kept on record), R11 (追加), D1, D2
    expect(rows.map((r) => r[0])).toEqual(['R1', 'R2', 'D2', 'R3', 'R4', 'R5', 'R6', 'R11', 'R7', 'D1', 'R8'].map((k) => fx.ids[k]));
    const byId = (k: string) => rows.find((r) => r[0] === fx.ids[k])!;
    expect(byId('R1')[col('评价时间（北京时间）')]).toBe('2026-11-16 00:00:00');
    expect(byId('R3')).toEqual(expect.arrayContaining(['1号综合窗口', '市场监管局', '王晓燕', 'C-3a;C-3b;C-3c', '3', '非常不满意', '差评', '501 服务态度差', '已整改']));
    expect(byId('R3')[col('评价内容')]).toBe('等了很久，请回电139****1111');
    expect([byId('R3')[col('评价人（脱敏）')], byId('R3')[col('证件号码（脱敏）')], byId('R3')[col('联系电话（脱敏）')]]).toEqual(['张**', '110***********1234', '138****5678']);
    expect(byId('R5')[col('统计状态')]).toBe('已剔除（恶意评价）');
    expect(byId('R6')[col('评价时间（北京时间）')]).toBe('2026-11-19 10:00:00'); // untrusted clock: stored time
    expect([byId('D1')[col('默认评价')], byId('D1')[col('评价来源')], byId('D1')[col('办件数')]]).toEqual(['是', '系统默认评价', '2']);
    expect(byId('R11')[col('评价次数')]).toBe('追加评价');
    expect(byId('R8')[col('评价人（脱敏）')]).toBe(''); // walk-up: no session, no applicant
    const audit = th.hub.services.audit.list(5).find((a) => a.action === 'export.ratings');
    expect(audit).toMatchObject({ target: null, detail: { format: 'csv', from: '2026-11-16', to: '2026-11-22' } });
    expect(audit!.actor).toMatch(/^user:operator-/);
    expect(th.hub.metrics.value('hcp_hub_exports_total', { kind: 'ratings', format: 'csv' })).toBe(1);
  });

  it('exports the ratings as Excel that exceljs reads back, masked', async () => {
    const res = await th.hub.http.inject({ method: 'GET', url: `/api/exports/ratings?${week}&format=xlsx`, headers: { authorization: `Bearer ${op}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('评价明细')!;
    const values = ws.getSheetValues().slice(1).map((r) => (Array.isArray(r) ? r.slice(1).map((v) => (v === undefined || v === null ? '' : String(v))) : []));
    expect(values[0]![0]).toContain('评价明细（2026-11-16 至 2026-11-22');
    expect(values[1]!.slice(0, 3)).toEqual(['评价编号', '评价时间（北京时间）', '窗口编号']);
    const rows = values.slice(2);
    expect(rows).toHaveLength(11);
    const r3 = rows.find((r) => r[0] === fx.ids.R3)!;
    expect(r3).toEqual(expect.arrayContaining(['张**', '110***********1234', '138****5678', '等了很久，请回电139****1111']));
    const all = JSON.stringify(values);
    for (const s of SECRETS) expect(all).not.toContain(s);
  });

  it('exports statistics as CSV and as Excel with numeric percentages', async () => {
    const csv = await th.hub.http.inject({ method: 'GET', url: `/api/exports/stats?${week}&groupBy=window`, headers: { authorization: `Bearer ${op}` } });
    const [head, ...rows] = parseCsv(csv.body.slice(1));
    const w1 = rows.find((r) => r[0] === 'w-01')!;
    expect(w1[head!.indexOf('好评率')]).toBe('42.86%');
    expect(w1[head!.indexOf('参评率')]).toBe('75.00%');
    expect(w1[head!.indexOf('差评整改率')]).toBe('60.00%');
    expect(rows.at(-1)!.slice(0, 2)).toEqual(['合计', '合计']);
    expect(rows.at(-1)![head!.indexOf('评价办件数')]).toBe('12');
    const xl = await th.hub.http.inject({ method: 'GET', url: `/api/exports/stats?${week}&groupBy=department&format=xlsx`, headers: { authorization: `Bearer ${op}` } });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xl.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('按部门统计');
    const header = (ws.getRow(2).values as unknown[]).slice(1);
    const row = [3, 4, 5, 6].map((i) => (ws.getRow(i).values as unknown[]).slice(1)).find((r) => r[0] === '人社局')!;
    expect(row[header.indexOf('参评率')]).toBe(0.25);
    expect(ws.getRow(3).getCell(header.indexOf('好评率') + 1).numFmt).toBe('0.00%');
    expect(th.hub.services.audit.list(3).some((a) => a.action === 'export.stats')).toBe(true);
  });

  it('renders the weekly 通报 as a printable page and as a PDF with the Chinese title', async () => {
    const html = await call(th.hub, 'GET', '/api/reports/bulletin', { token: op });
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    const title = '杭州市民中心政务服务“好差评”周通报（2026年11月16日至2026年11月22日）';
    expect(html.body).toContain(title);
    expect(html.body).toContain('@media print');
    expect(html.body).toContain('差评整改率 50.0%');
    for (const s of SECRETS) expect(html.body).not.toContain(s);
    const pdf = await th.hub.http.inject({ method: 'GET', url: '/api/reports/bulletin?kind=week&date=2026-11-18&format=pdf', headers: { authorization: `Bearer ${op}` } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf.rawPayload);
    expect(text.replace(/\s/g, '')).toContain(title);
    expect(text).toContain('差评及处理情况');
    for (const s of SECRETS) expect(text).not.toContain(s);
    const month = await call(th.hub, 'GET', '/api/reports/bulletin?kind=month&date=2026-11-05', { token: op });
    expect(month.body).toContain('杭州市民中心政务服务“好差评”月通报（2026年11月）');
    expect((await call(th.hub, 'GET', '/api/reports/bulletin?date=2026-11-31', { token: op })).json().code).toBe('HCP_VALIDATION');
    expect((await call(th.hub, 'GET', '/api/reports/bulletin?date=2026-12-01', { token: op })).status).toBe(400);
  });

  it('refuses a PDF without a CJK font with a coded error, not empty boxes', async () => {
    const b = buildBulletin(th.hub.db, new StatsEngine(th.hub.db, clock), 'week', { from: '2026-11-16', to: '2026-11-22' }, () => null);
    await expect(bulletinPdf(b, { regular: [{ path: '/nonexistent/font.ttc' }], bold: [] })).rejects.toMatchObject({ code: 'HCP_REPORT_FONT_MISSING', statusCode: 503 });
  });

  it('publishes results without login and without personal or staff data, rate-limited', async () => {
    const page = await call(th.hub, 'GET', '/public/results?month=2026-11');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    const html = String(page.body);
    expect(html).toContain('杭州市民中心 政务服务“好差评”结果公示');
    expect(html).toContain('市场监管局');
    expect(html).toContain('1号综合窗口');
    for (const s of [...SECRETS, '王晓燕', '李明', 'st-a', 'C-3a', '等了很久']) expect(html).not.toContain(s);
    const json = (await call(th.hub, 'GET', '/api/public/results?month=2026-11')).json<{ to: string; total: { cases: number }; departments: { name: string }[] }>();
    expect(json.to).toBe('2026-11-23'); // this month so far
    expect(json.total.cases).toBe(14);
    expect(json.departments.map((d) => d.name)).toEqual(['市场监管局', '人社局', '其他']);
    expect(JSON.stringify(json)).not.toContain('王晓燕');
    expect((await call(th.hub, 'GET', '/public/results?month=2026-12')).json().code).toBe('HCP_VALIDATION');
    expect((await call(th.hub, 'GET', '/public/results?month=2026-13')).status).toBe(400);
    let limited = 0;
    for (let i = 0; i < 10; i++) if ((await call(th.hub, 'GET', '/public/results')).status === 429) limited++;
    expect(limited).toBeGreaterThan(0);
  });

  it('keeps a window department in the registry API', async () => {
    const mgr = await tokenFor(th.hub, 'manager');
    const created = await call(th.hub, 'POST', '/api/windows', { token: mgr, body: { id: 'w-09', hallId: th.hub.config.hallId, name: '9号窗口', department: '公安局' } });
    expect([created.status, created.json().department]).toEqual([201, '公安局']);
    const patched = await call(th.hub, 'PATCH', '/api/windows/w-09', { token: mgr, body: { department: null } });
    expect(patched.json().department).toBe(null);
    expect((await call(th.hub, 'PATCH', '/api/windows/w-09', { token: mgr, body: { department: '' } })).status).toBe(400);
  });
});
