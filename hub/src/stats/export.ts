/**
 * Exports of ratings (评价明细) and of statistics (统计报表) as CSV and Excel (.xlsx, exceljs).
 *
 * Ratings are streamed: rows are read page by page (keyset on the statistics time and the id,
 * through the indexes of migrations 211/212), each page a short synchronous read, and the event
 * loop runs between pages, so a year's export neither holds the database busy (better-sqlite3
 * cannot run other statements while an iterator is open) nor the whole file in memory.
 * Stored ratings and default ratings are two sorted sources merged into one time order.
 *
 * Personal data: the applicant of a rating's session is decrypted only to be masked (mask.ts);
 * free text is masked for digit runs. Excluded ratings are listed (kept on record) and marked;
 * statistics leave them out. Every cell that a spreadsheet would run as a formula is defused.
 */
import { PassThrough, type Readable } from 'node:stream';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { CHANNELS, LEVEL_NAMES, formatChinaTime, type Applicant, type Level } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import { DEFAULT_AT, DEFAULT_ONLY, RATING_AT } from './sql.js';
import { maskApplicant, maskFreeText } from './mask.js';
import type { StatsResult, StatsRow } from './engine.js';

export interface Column<R> {
  readonly header: string;
  readonly width: number;
  readonly value: (r: R) => string | number | null;
  /** Excel number format (e.g. percentages), CSV gets the formatted text. */
  readonly numFmt?: string;
}

/** One exported rating, every field ready to print. */
export interface RatingRecord {
  id: string; at: string; windowId: string; windowName: string; department: string; staffId: string; staffName: string;
  itemCode: string; itemName: string; caseNumbers: string; caseCount: number; level: number; levelName: string; klass: string;
  indicators: string; text: string; channel: string; assess: string; origin: string; flags: string; isDefault: string;
  status: string; caseState: string; applicantName: string; applicantId: string; applicantPhone: string;
}

const ORIGIN: Record<string, string> = { session: '业务推送', 'staff-key': '工作人员发起', 'walk-up': '未办件评价', mobile: '扫码评价', default: '系统默认评价' };
const FLAG: Record<string, string> = {
  'walk-up': '未办件评价', 'no-reason-timeout': '差评未选原因', 'clock-untrusted': '设备时钟不可信', 'clock-corrected': '时间已校正', 'default-rating': '默认评价',
};
const CASE_STATE: Record<string, string> = { new: '待回访', contacted: '已回访', rectifying: '整改中', done: '已整改', unable: '无法整改' };
const EXCLUDED: Record<string, string> = { mistaken: '已剔除（误评）', malicious: '已剔除（恶意评价）' };

export const RATING_COLUMNS: readonly Column<RatingRecord>[] = [
  { header: '评价编号', width: 38, value: (r) => r.id },
  { header: '评价时间（北京时间）', width: 20, value: (r) => r.at },
  { header: '窗口编号', width: 10, value: (r) => r.windowId },
  { header: '窗口名称', width: 16, value: (r) => r.windowName },
  { header: '所属部门', width: 14, value: (r) => r.department },
  { header: '工作人员编号', width: 12, value: (r) => r.staffId },
  { header: '工作人员', width: 10, value: (r) => r.staffName },
  { header: '事项编码', width: 22, value: (r) => r.itemCode },
  { header: '事项名称', width: 22, value: (r) => r.itemName },
  { header: '办件编号', width: 24, value: (r) => r.caseNumbers },
  { header: '办件数', width: 8, value: (r) => r.caseCount },
  { header: '评价等级', width: 8, value: (r) => r.level },
  { header: '等级名称', width: 10, value: (r) => r.levelName },
  { header: '好差评', width: 8, value: (r) => r.klass },
  { header: '差评指标', width: 16, value: (r) => r.indicators },
  { header: '评价内容', width: 30, value: (r) => r.text },
  { header: '评价渠道', width: 14, value: (r) => r.channel },
  { header: '评价次数', width: 10, value: (r) => r.assess },
  { header: '评价来源', width: 12, value: (r) => r.origin },
  { header: '标记', width: 18, value: (r) => r.flags },
  { header: '默认评价', width: 8, value: (r) => r.isDefault },
  { header: '统计状态', width: 16, value: (r) => r.status },
  { header: '差评处理状态', width: 12, value: (r) => r.caseState },
  { header: '评价人（脱敏）', width: 12, value: (r) => r.applicantName },
  { header: '证件号码（脱敏）', width: 22, value: (r) => r.applicantId },
  { header: '联系电话（脱敏）', width: 14, value: (r) => r.applicantPhone },
];

const pct = (v: number | null): string => (v === null ? '' : `${(v * 100).toFixed(2)}%`);

/** Columns of a statistics export; `groupLabel` names the key column (窗口, 工作人员 …). */
export function statsColumns(groupLabel: string): Column<StatsRow>[] {
  const p = (header: string, get: (r: StatsRow) => number | null): Column<StatsRow> => ({ header, width: 12, value: get, numFmt: '0.00%' });
  const n = (header: string, get: (r: StatsRow) => number | null, width = 10): Column<StatsRow> => ({ header, width, value: get });
  return [
    { header: `${groupLabel}编号`, width: 14, value: (r) => r.key ?? '' },
    { header: groupLabel, width: 18, value: (r) => r.name ?? (r.key === null ? '（未设置）' : r.key) },
    { header: '起始日期', width: 12, value: (r) => r.period },
    { header: '截止日期', width: 12, value: (r) => r.periodEnd },
    n('评价数', (r) => r.ratings), n('评价办件数', (r) => r.cases),
    n('非常满意', (r) => r.levels[4]), n('满意', (r) => r.levels[3]), n('基本满意', (r) => r.levels[2]), n('不满意', (r) => r.levels[1]), n('非常不满意', (r) => r.levels[0]),
    n('好评', (r) => r.good), n('差评', (r) => r.bad), p('好评率', (r) => r.goodRate), p('差评率', (r) => r.badRate),
    n('平均满意度', (r) => r.avg), n('默认评价办件', (r) => r.defaultCases, 12), p('默认评价占比', (r) => r.defaultShare), n('追加评价', (r) => r.followUps),
    n('服务办件', (r) => r.servedCases), n('参评办件', (r) => r.ratedCases), p('参评率', (r) => r.participationRate),
    n('服务次数', (r) => r.servedSessions), n('参评次数', (r) => r.ratedSessions),
    n('有效差评', (r) => r.badReviews), n('已回访', (r) => r.contacted), n('已整改', (r) => r.rectified),
    p('回访率', (r) => r.contactRate), p('差评整改率', (r) => r.rectifyRate),
  ];
}

// ---- CSV ----

/** A cell a spreadsheet would evaluate (=, +, -, @, tab, CR first) is prefixed with ' (OWASP CSV injection). */
function defuse(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = defuse(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** CSV text chunks: a UTF-8 byte order mark (so Excel on Chinese Windows reads UTF-8), the header, then the rows. */
export async function* csvChunks<R>(columns: readonly Column<R>[], pages: AsyncIterable<readonly R[]>): AsyncGenerator<string> {
  yield `\uFEFF${csvLine(columns.map((c) => c.header))}`;
  for await (const page of pages) {
    let chunk = '';
    for (const r of page) chunk += csvLine(columns.map((c) => (c.numFmt ? pct(c.value(r) as number | null) : c.value(r))));
    if (chunk) yield chunk;
  }
}

// ---- Excel ----

/**
 * Writes an .xlsx as a stream (exceljs' streaming WorkbookWriter: rows are committed as they
 * come), returning the readable side at once; errors end the stream with the error.
 */
export function xlsxStream<R>(sheets: readonly { name: string; columns: readonly Column<R>[]; pages: AsyncIterable<readonly R[]>; title?: string }[]): Readable {
  const out = new PassThrough();
  void (async () => {
    // loaded on the first export, not at start: exceljs is ~25 MB of resident memory a hub that never exports does not need
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    wb.creator = 'hcp 好差评大厅中心';
    for (const s of sheets) {
      const ws = wb.addWorksheet(s.name, { views: [{ state: 'frozen', ySplit: s.title ? 2 : 1 }] });
      ws.columns = s.columns.map((c) => ({ width: c.width, ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}) }));
      if (s.title) {
        const t = ws.addRow([s.title]);
        t.font = { bold: true, size: 13 };
        t.commit();
      }
      const head = ws.addRow(s.columns.map((c) => c.header));
      head.font = { bold: true };
      head.commit();
      for await (const page of s.pages) {
        for (const r of page) {
          ws.addRow(s.columns.map((c) => {
            const v = c.value(r);
            return typeof v === 'string' ? defuse(v) : v;
          })).commit();
        }
      }
      ws.commit();
    }
    await wb.commit();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}

// ---- rating records ----

interface RatingRow {
  id: string; at: string; window_id: string; session_id: string | null; level: number; flags: string; body: string;
  excluded: string | null; case_state: string | null;
}
interface DefaultRow { id: string; at: string; source: string; excluded: string | null }

interface Body {
  staffId?: string | null; itemCode?: string | null; caseNumbers?: string[]; indicators?: string[]; text?: string; channel?: number;
  assessNumber?: number; origin?: string; flags?: string[]; sessionId?: string | null; windowId?: string; level?: number;
}

export interface RatingSourceDeps {
  readonly db: Db;
  /** Decrypted applicant of a session (Sessions.applicant); masked here before it goes anywhere. */
  readonly applicant: (sessionId: string) => Applicant | null;
  /** Indicator code → name (the current list), for 差评指标. */
  readonly indicatorName: (code: string) => string | null;
}

/**
 * Pages of rating records in time order from local days `from`..`to` (UTC instants given).
 * Registry names are read once at the start (an export is a snapshot of one moment).
 */
export async function* ratingRecordPages(deps: RatingSourceDeps, range: { fromIso: string; toIso: string }, pageSize = 500): AsyncGenerator<RatingRecord[]> {
  const { db } = deps;
  const ratings = db.prepare(`
    SELECT r.id, ${RATING_AT} AS at, r.window_id, r.session_id, r.level, r.flags, r.body, x.reason AS excluded, c.state AS case_state
      FROM ratings r LEFT JOIN rating_exclusions x ON x.rating_id = r.id LEFT JOIN bad_review_cases c ON c.rating_id = r.id
     WHERE ${RATING_AT} >= @from AND ${RATING_AT} < @to AND (${RATING_AT}, r.id) > (@afterAt, @afterId)
     ORDER BY ${RATING_AT}, r.id LIMIT @limit`);
  const defaults = db.prepare(`
    SELECT p.rating_id AS id, ${DEFAULT_AT} AS at, p.source, x.reason AS excluded
      FROM forward_payloads p CROSS JOIN forward_default_decisions d ON d.rating_id = p.rating_id LEFT JOIN rating_exclusions x ON x.rating_id = p.rating_id
     WHERE ${DEFAULT_ONLY} AND d.result = 'sent' AND ${DEFAULT_AT} >= @from AND ${DEFAULT_AT} < @to AND (${DEFAULT_AT}, p.rating_id) > (@afterAt, @afterId)
     ORDER BY ${DEFAULT_AT}, p.rating_id LIMIT @limit`);
  const windows = new Map((db.prepare('SELECT id, name, department FROM windows').all() as { id: string; name: string; department: string | null }[]).map((w) => [w.id, w]));
  const staff = new Map((db.prepare('SELECT id, name FROM staff').all() as { id: string; name: string }[]).map((s) => [s.id, s.name]));
  const items = new Map((db.prepare('SELECT item_code AS id, item_name AS name, max(opened_at) FROM sessions GROUP BY item_code').all() as { id: string; name: string }[]).map((i) => [i.id, i.name]));

  const source = <T extends { id: string; at: string }>(stmt: ReturnType<Db['prepare']>) => {
    let buf: T[] = [];
    let after = { afterAt: '', afterId: '' };
    let done = false;
    return {
      peek(): T | undefined {
        if (!buf.length && !done) {
          buf = stmt.all({ from: range.fromIso, to: range.toIso, ...after, limit: pageSize }) as T[];
          if (buf.length < pageSize) done = true;
          const last = buf[buf.length - 1];
          if (last) after = { afterAt: last.at, afterId: last.id };
        }
        return buf[0];
      },
      take(): T {
        return buf.shift()!;
      },
    };
  };
  const a = source<RatingRow>(ratings);
  const b = source<DefaultRow>(defaults);

  const record = (body: Body, base: { id: string; at: string; windowId: string; level: number; flags: string[]; excluded: string | null; caseState: string | null; isDefault: boolean }): RatingRecord => {
    const w = windows.get(base.windowId);
    const app = body.sessionId ? deps.applicant(body.sessionId) : null;
    const masked = app ? maskApplicant(app) : null;
    const channel = body.channel !== undefined ? CHANNELS[body.channel as keyof typeof CHANNELS]?.zh ?? String(body.channel) : '';
    return {
      id: base.id, at: formatChinaTime(Date.parse(base.at)), windowId: base.windowId, windowName: w?.name ?? '', department: w?.department ?? '',
      staffId: body.staffId ?? '', staffName: body.staffId ? staff.get(body.staffId) ?? '' : '',
      itemCode: body.itemCode ?? '', itemName: body.itemCode ? items.get(body.itemCode) ?? '' : '',
      caseNumbers: (body.caseNumbers ?? []).join(';'), caseCount: Math.max(1, body.caseNumbers?.length ?? 0),
      level: base.level, levelName: LEVEL_NAMES[base.level as Level]?.zh ?? '', klass: base.level <= 2 ? '差评' : '好评',
      indicators: (body.indicators ?? []).map((c) => { const n = deps.indicatorName(c); return n ? `${c} ${n}` : c; }).join(';'),
      text: body.text ? maskFreeText(body.text) : '', channel: base.isDefault ? '系统默认' : channel,
      assess: body.assessNumber === 2 ? '追加评价' : '首次评价', origin: ORIGIN[body.origin ?? ''] ?? body.origin ?? '',
      flags: base.flags.map((f) => FLAG[f] ?? f).join(';'), isDefault: base.isDefault ? '是' : '否',
      status: base.excluded ? EXCLUDED[base.excluded] ?? '已剔除' : '计入统计', caseState: base.caseState ? CASE_STATE[base.caseState] ?? base.caseState : '',
      applicantName: masked?.name ?? '', applicantId: masked?.idNumber ?? '', applicantPhone: masked?.phone ?? '',
    };
  };

  for (;;) {
    const page: RatingRecord[] = [];
    while (page.length < pageSize) {
      const x = a.peek();
      const y = b.peek();
      if (!x && !y) break;
      if (x && (!y || x.at < y.at || (x.at === y.at && x.id < y.id))) {
        const r = a.take();
        const body = JSON.parse(r.body) as Body;
        page.push(record(body, { id: r.id, at: r.at, windowId: r.window_id, level: r.level, flags: JSON.parse(r.flags) as string[], excluded: r.excluded, caseState: r.case_state, isDefault: false }));
      } else {
        const r = b.take();
        const body = JSON.parse(r.source) as Body;
        page.push(record(body, { id: r.id, at: r.at, windowId: body.windowId ?? '', level: body.level ?? 0, flags: body.flags ?? ['default-rating'], excluded: r.excluded, caseState: null, isDefault: true }));
      }
    }
    if (!page.length) return;
    yield page;
    await yieldLoop(); // let ingest and HTTP run between pages
  }
}

/** A statistics result as one page (small: bounded by the engine's range limits). */
export async function* statsPages(r: StatsResult): AsyncGenerator<StatsRow[]> {
  yield [...r.rows, { ...r.total, key: '合计', name: '合计' }];
}
