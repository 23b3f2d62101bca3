/**
 * The public results page (评价结果公示): what a hall publishes about itself, without login.
 * Per department and per window only, never per staff member; no applicant data, no case numbers,
 * no rating texts (a citizen may have asked for their rating not to be published). Figures come
 * from the statistics engine with the same definitions as everywhere else (docs/statistics.md).
 */
import { formatChinaTime } from '@hcp/protocol';
import type { StatsEngine, StatsRow } from './engine.js';
import { localDate, monthEnd } from './period.js';
import { fmtAvg, fmtPct } from './report.js';

export interface PublicRow {
  name: string;
  cases: number;
  goodRate: number | null;
  avg: number | null;
  participationRate: number | null;
  rectifyRate: number | null;
}

export interface PublicResults {
  hallName: string;
  month: string;
  from: string;
  to: string;
  asOf: string;
  total: PublicRow;
  departments: PublicRow[];
  windows: PublicRow[];
}

const pub = (r: StatsRow, name: string): PublicRow => ({
  name, cases: r.cases, goodRate: r.goodRate, avg: r.avg, participationRate: r.participationRate, rectifyRate: r.rectifyRate,
});

/** Figures of `month` (YYYY-MM) up to today; null when the month has not begun. */
export function publicResults(engine: StatsEngine, month: string, nowMs: number): PublicResults | null {
  const today = localDate(nowMs);
  const from = `${month}-01`;
  if (from > today) return null;
  const end = monthEnd(from);
  const to = end < today ? end : today;
  const q = (groupBy: 'hall' | 'department' | 'window') => engine.query({ groupBy, period: 'all', from, to });
  const hall = q('hall');
  const sort = (a: PublicRow, b: PublicRow) => b.cases - a.cases || a.name.localeCompare(b.name, 'zh-CN');
  return {
    hallName: hall.total.name ?? '', month, from, to, asOf: hall.asOf,
    total: pub(hall.total, '全厅合计'),
    departments: q('department').rows.map((r) => pub(r, r.key ?? '其他')).sort(sort),
    windows: q('window').rows.map((r) => pub(r, r.name ?? r.key ?? '其他')).sort(sort),
  };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page: mobile friendly, no scripts, months to choose as plain links. */
export function publicHtml(r: PublicResults, months: readonly string[]): string {
  const head = '<tr><th>名称</th><th>评价件数</th><th>好评率</th><th>满意度（满分5分）</th><th>参评率</th><th>差评整改率</th></tr>';
  const line = (x: PublicRow, cls = '') => `<tr${cls ? ` class="${cls}"` : ''}><td>${esc(x.name)}</td><td>${x.cases}</td><td>${fmtPct(x.goodRate)}</td><td>${fmtAvg(x.avg)}</td><td>${fmtPct(x.participationRate)}</td><td>${fmtPct(x.rectifyRate)}</td></tr>`;
  const table = (id: string, rows: PublicRow[]) => rows.length
    ? `<div class="scroll"><table id="${id}"><thead>${head}</thead><tbody>${rows.map((x) => line(x)).join('')}</tbody></table></div>`
    : '<p class="empty">本月暂无评价数据。</p>';
  const label = (m: string) => `${Number(m.slice(0, 4))}年${Number(m.slice(5, 7))}月`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.hallName)} 政务服务“好差评”结果公示</title>
<style>
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 0; color: #1b1b1b; background: #f5f7fa; }
  header { background: #b71c1c; color: #fff; padding: 18px 16px; }
  header h1 { margin: 0; font-size: 22px; }
  header p { margin: 4px 0 0; opacity: .9; }
  main { max-width: 960px; margin: 0 auto; padding: 12px 16px 32px; }
  nav a { display: inline-block; margin: 0 8px 8px 0; padding: 4px 10px; border: 1px solid #b71c1c; border-radius: 14px; color: #b71c1c; text-decoration: none; }
  nav a[aria-current="page"] { background: #b71c1c; color: #fff; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; margin: 12px 0 20px; }
  .kpi { background: #fff; border-radius: 8px; padding: 12px; text-align: center; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  .kpi b { display: block; font-size: 26px; color: #b71c1c; }
  h2 { font-size: 18px; margin: 20px 0 8px; }
  .scroll { overflow-x: auto; }
  table { width: 100%; border-collapse: collapse; background: #fff; font-size: 15px; }
  th, td { padding: 8px; border-bottom: 1px solid #e3e3e3; text-align: center; white-space: nowrap; }
  th { background: #fbe9e7; }
  td:first-child, th:first-child { text-align: left; }
  .empty { color: #666; }
  footer { color: #555; font-size: 13px; margin-top: 24px; line-height: 1.7; }
</style></head>
<body>
<header><h1 id="public-title">${esc(r.hallName)} 政务服务“好差评”结果公示</h1><p>${label(r.month)}（${esc(r.from)} 至 ${esc(r.to)}）</p></header>
<main>
<nav aria-label="月份">${months.map((m) => `<a href="/public/results?month=${m}"${m === r.month ? ' aria-current="page"' : ''}>${label(m)}</a>`).join('')}</nav>
<section class="kpis" id="public-kpis">
  <div class="kpi">评价件数<b>${r.total.cases}</b></div>
  <div class="kpi">好评率<b>${fmtPct(r.total.goodRate)}</b></div>
  <div class="kpi">满意度<b>${fmtAvg(r.total.avg)}</b></div>
  <div class="kpi">参评率<b>${fmtPct(r.total.participationRate)}</b></div>
  <div class="kpi">差评整改率<b>${fmtPct(r.total.rectifyRate)}</b></div>
</section>
<h2>各部门评价结果</h2>
${table('public-departments', r.departments)}
<h2>各窗口评价结果</h2>
${table('public-windows', r.windows)}
<footer>
  <p>说明：好评指“非常满意”“满意”“基本满意”；满意度为评价等级的平均值（5分为非常满意）；参评率为参与评价的办件占已办理办件的比例；差评整改率为已整改的差评占有效差评的比例。批量办理的业务一次评价计入其每一件；经核实为误评或恶意评价的不计入。</p>
  <p>数据按北京时间统计，更新于 ${esc(formatChinaTime(Date.parse(r.asOf)))}。评价人信息依法保密，不予公开。</p>
</footer>
</main>
</body></html>`;
}
