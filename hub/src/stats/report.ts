/**
 * The 好差评 通报 (weekly / monthly bulletin): the figures of one week (Monday–Sunday) or month
 * from the statistics engine, per department, window and staff member, with the 差评 of the
 * period and how each stands, rendered as a printable HTML page (print CSS, A4) here and as a
 * PDF in pdf.ts. No applicant data appears in a bulletin; staff are named, as hall bulletins
 * name them (通报 per window staff member, see the policy texts in shared/reference/seeds).
 */
import { LEVEL_NAMES, formatChinaTime, type Level } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { StatsEngine, StatsRow } from './engine.js';
import { addDays, localDate, monthEnd, monthStart, weekStart } from './period.js';
import { RATING_AT, DEFAULT_AT, DEFAULT_ONLY, NOT_EXCLUDED } from './sql.js';
import { maskFreeText } from './mask.js';

export type BulletinKind = 'week' | 'month';

export interface BadReviewLine {
  at: string; window: string; staff: string; level: string; reasons: string; text: string; state: string;
}

export interface Bulletin {
  kind: BulletinKind;
  hallName: string;
  title: string;
  from: string;
  to: string;
  asOf: string;
  total: StatsRow;
  previous: StatsRow;
  departments: StatsRow[];
  windows: StatsRow[];
  staff: StatsRow[];
  items: StatsRow[];
  badReviews: BadReviewLine[];
}

/** The week or month holding `date`, or by default the last complete one before `today`. */
export function bulletinRange(kind: BulletinKind, today: string, date?: string): { from: string; to: string } {
  if (kind === 'week') {
    const from = date ? weekStart(date) : addDays(weekStart(today), -7);
    return { from, to: addDays(from, 6) };
  }
  const from = date ? monthStart(date) : monthStart(addDays(monthStart(today), -1));
  return { from, to: monthEnd(from) };
}

export function bulletinTitle(kind: BulletinKind, hallName: string, from: string, to: string): string {
  const d = (s: string) => `${Number(s.slice(0, 4))}年${Number(s.slice(5, 7))}月${Number(s.slice(8, 10))}日`;
  return kind === 'week'
    ? `${hallName}政务服务“好差评”周通报（${d(from)}至${d(to)}）`
    : `${hallName}政务服务“好差评”月通报（${Number(from.slice(0, 4))}年${Number(from.slice(5, 7))}月）`;
}

const STATE: Record<string, string> = { new: '待回访', contacted: '已回访', rectifying: '整改中', done: '已整改', unable: '无法整改' };

/** Builds a bulletin from the engine's figures and the period's 差评 list. */
export function buildBulletin(db: Db, engine: StatsEngine, kind: BulletinKind, range: { from: string; to: string }, indicatorName: (code: string) => string | null): Bulletin {
  const q = (groupBy: 'hall' | 'window' | 'staff' | 'department' | 'item', from = range.from, to = range.to) =>
    engine.query({ groupBy, period: 'all', from, to });
  const all = q('hall');
  const prevRange = bulletinRange(kind, range.from);
  const prev = q('hall', prevRange.from, prevRange.to).total;
  const byCases = (a: StatsRow, b: StatsRow) => b.cases - a.cases || (a.key ?? '').localeCompare(b.key ?? '');
  const { fromIso, toIso } = { fromIso: new Date(Date.parse(`${range.from}T00:00:00+08:00`)).toISOString(), toIso: new Date(Date.parse(`${addDays(range.to, 1)}T00:00:00+08:00`)).toISOString() };
  const rows = db.prepare(`
    SELECT f.at, f.level, f.body, w.name AS window_name, st.name AS staff_name, c.state FROM (
      SELECT r.id, ${RATING_AT} AS at, r.level, r.window_id, json_extract(r.body, '$.staffId') AS staff_id, r.body FROM ratings r
       WHERE r.level <= 2 AND ${RATING_AT} >= @from AND ${RATING_AT} < @to AND ${NOT_EXCLUDED('r.id')}
      UNION ALL
      SELECT p.rating_id, ${DEFAULT_AT}, json_extract(p.source, '$.level'), json_extract(p.source, '$.windowId'), json_extract(p.source, '$.staffId'), p.source
        FROM forward_payloads p WHERE ${DEFAULT_ONLY} AND json_extract(p.source, '$.level') <= 2 AND ${DEFAULT_AT} >= @from AND ${DEFAULT_AT} < @to AND ${NOT_EXCLUDED('p.rating_id')}
    ) f LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN staff st ON st.id = f.staff_id LEFT JOIN bad_review_cases c ON c.rating_id = f.id
    ORDER BY f.at LIMIT 500`).all({ from: fromIso, to: toIso }) as { at: string; level: number; body: string; window_name: string | null; staff_name: string | null; state: string | null }[];
  const badReviews = rows.map((r) => {
    const b = JSON.parse(r.body) as { indicators?: string[]; text?: string; assessNumber?: number };
    return {
      at: formatChinaTime(Date.parse(r.at)).slice(5, 16), window: r.window_name ?? '', staff: r.staff_name ?? '',
      level: `${LEVEL_NAMES[r.level as Level]?.zh ?? r.level}${b.assessNumber === 2 ? '（追加）' : ''}`,
      reasons: (b.indicators ?? []).map((c) => indicatorName(c) ?? c).join('、'),
      text: b.text ? maskFreeText(b.text) : '', state: r.state ? STATE[r.state] ?? r.state : '未立案',
    };
  });
  return {
    kind, hallName: all.total.name ?? '', title: bulletinTitle(kind, all.total.name ?? '', range.from, range.to), from: range.from, to: range.to, asOf: all.asOf,
    total: all.total, previous: prev,
    departments: q('department').rows.sort(byCases), windows: q('window').rows.sort(byCases),
    staff: q('staff').rows.filter((r) => r.key !== null).sort((a, b) => (b.goodRate ?? -1) - (a.goodRate ?? -1) || (b.avg ?? 0) - (a.avg ?? 0) || byCases(a, b)),
    items: q('item').rows.filter((r) => r.key !== null).sort(byCases).slice(0, 10),
    badReviews,
  };
}

// ---- formatting shared by HTML and PDF ----

export const fmtPct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
export const fmtAvg = (v: number | null): string => (v === null ? '—' : v.toFixed(2));

/** Change against the previous period in percentage points, e.g. "↑1.2个百分点". */
export function fmtDelta(cur: number | null, prev: number | null): string {
  if (cur === null || prev === null) return '—';
  const d = Math.round((cur - prev) * 1000) / 10;
  return d === 0 ? '持平' : `${d > 0 ? '↑' : '↓'}${Math.abs(d).toFixed(1)}个百分点`;
}

export interface TableSpec {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** relative column widths */
  readonly widths: readonly number[];
}

const groupRow = (r: StatsRow, label: string | null): string[] => [
  label ?? r.name ?? r.key ?? '（未设置）', String(r.cases), fmtPct(r.goodRate), fmtPct(r.badRate), fmtAvg(r.avg), fmtPct(r.participationRate),
  `${r.bad}`, fmtPct(r.contactRate), fmtPct(r.rectifyRate),
];
const GROUP_HEAD = ['评价办件', '好评率', '差评率', '平均满意度', '参评率', '差评', '回访率', '差评整改率'];
const GROUP_W = [3, 1.3, 1.3, 1.3, 1.5, 1.3, 1, 1.3, 1.6];

/** The bulletin's summary lines and tables, the same for HTML and PDF. */
export function bulletinContent(b: Bulletin): { summary: string[]; kpis: [string, string, string][]; tables: TableSpec[]; notes: string[] } {
  const t = b.total;
  const p = b.previous;
  const prevName = b.kind === 'week' ? '上周' : '上月';
  const summary = [
    `本${b.kind === 'week' ? '周' : '月'}共收到评价 ${t.ratings} 次，涉及办件 ${t.cases} 件，其中好评 ${t.good} 件、差评 ${t.bad} 件；`
    + `好评率 ${fmtPct(t.goodRate)}（较${prevName}${fmtDelta(t.goodRate, p.goodRate)}），平均满意度 ${fmtAvg(t.avg)}。`,
    `服务办件 ${t.servedCases} 件，参评办件 ${t.ratedCases} 件，参评率 ${fmtPct(t.participationRate)}；默认评价 ${t.defaultCases} 件，占 ${fmtPct(t.defaultShare)}。`,
    `有效差评 ${t.badReviews} 件（含追加评价），已回访 ${t.contacted} 件，已整改 ${t.rectified} 件，回访率 ${fmtPct(t.contactRate)}，差评整改率 ${fmtPct(t.rectifyRate)}。`,
  ];
  const kpis: [string, string, string][] = [
    ['评价办件', String(t.cases), `${prevName} ${p.cases}`],
    ['好评率', fmtPct(t.goodRate), fmtDelta(t.goodRate, p.goodRate)],
    ['参评率', fmtPct(t.participationRate), fmtDelta(t.participationRate, p.participationRate)],
    ['平均满意度', fmtAvg(t.avg), `${prevName} ${fmtAvg(p.avg)}`],
    ['差评整改率', fmtPct(t.rectifyRate), fmtDelta(t.rectifyRate, p.rectifyRate)],
  ];
  const tables: TableSpec[] = [
    { title: '一、各部门评价情况', head: ['部门', ...GROUP_HEAD], rows: b.departments.map((r) => groupRow(r, r.key ?? '（未设置部门）')), widths: GROUP_W },
    { title: '二、各窗口评价情况', head: ['窗口', ...GROUP_HEAD], rows: b.windows.map((r) => groupRow(r, null)), widths: GROUP_W },
    { title: '三、窗口工作人员评价情况（按好评率排序）', head: ['工作人员', ...GROUP_HEAD], rows: b.staff.map((r) => groupRow(r, null)), widths: GROUP_W },
    { title: '四、评价最多的事项', head: ['事项', ...GROUP_HEAD], rows: b.items.map((r) => groupRow(r, r.name ?? r.key)), widths: GROUP_W },
    {
      title: '五、差评及处理情况', head: ['时间', '窗口', '工作人员', '等级', '差评原因', '评价内容', '处理状态'],
      rows: b.badReviews.map((x) => [x.at, x.window, x.staff, x.level, x.reasons, x.text, x.state]), widths: [1.3, 1.6, 1, 1.3, 1.8, 2.4, 1],
    },
  ];
  const notes = [
    '统计口径：按办件计（批量办件的一次评价计入其每一件）；按北京时间（UTC+8）自然日统计；经复核认定为误评或恶意评价的已剔除；默认评价计入评价数与好评率并单列占比；参评率仅计群众本人评价。',
    '好评为“非常满意”“满意”“基本满意”，差评为“不满意”“非常不满意”；回访率、差评整改率为截至统计时点的处理情况。详见 docs/statistics.md。',
    `统计时点：${formatChinaTime(Date.parse(b.asOf))}（北京时间）。`,
  ];
  return { summary, kpis, tables, notes };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A self-contained printable page (no scripts; print CSS for A4). `pdfHref` links the PDF version. */
export function bulletinHtml(b: Bulletin, pdfHref: string): string {
  const c = bulletinContent(b);
  const table = (t: TableSpec) => `<section><h2>${esc(t.title)}</h2>${t.rows.length ? `<table><colgroup>${t.widths.map((w) => `<col style="width:${((w / t.widths.reduce((a, x) => a + x, 0)) * 100).toFixed(1)}%">`).join('')}</colgroup>
<thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>` : '<p class="empty">本期无数据。</p>'}</section>`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(b.title)}</title>
<style>
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #111; margin: 24px auto; max-width: 980px; font-size: 14px; line-height: 1.6; }
  h1 { font-size: 22px; text-align: center; margin: 0 0 4px; font-family: "Noto Serif CJK SC", "SimSun", serif; }
  .meta { text-align: center; color: #444; margin: 0 0 16px; }
  .kpis { display: grid; grid-template-columns: repeat(5, 1fr); gap: 8px; margin: 12px 0; }
  .kpi { border: 1px solid #999; padding: 6px 8px; text-align: center; }
  .kpi b { display: block; font-size: 20px; }
  .kpi small { color: #555; }
  h2 { font-size: 16px; margin: 18px 0 6px; }
  table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
  th, td { border: 1px solid #777; padding: 3px 5px; text-align: center; }
  td:first-child { text-align: left; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .notes { color: #444; font-size: 12px; margin-top: 16px; }
  .actions { text-align: right; }
  .empty { color: #666; }
  @media print { .actions { display: none; } body { margin: 0; max-width: none; } }
</style></head>
<body>
<p class="actions"><a href="${esc(pdfHref)}" id="pdf-link">下载 PDF</a> · 打印请使用浏览器“打印”（Ctrl+P）</p>
<h1 id="report-title">${esc(b.title)}</h1>
<p class="meta">统计期间：${esc(b.from)} 至 ${esc(b.to)}（北京时间）</p>
<section class="summary">${c.summary.map((s) => `<p>${esc(s)}</p>`).join('')}</section>
<div class="kpis">${c.kpis.map(([k, v, d]) => `<div class="kpi"><span>${esc(k)}</span><b>${esc(v)}</b><small>${esc(d)}</small></div>`).join('')}</div>
${c.tables.map(table).join('\n')}
<section class="notes">${c.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</section>
</body></html>`;
}

/** Today's local date by the injected clock. */
export const today = (nowMs: number): string => localDate(nowMs);
