/**
 * Validation of one evaluation record the way a provincial 好差评 system does it.
 * The rules and their codes are documented in docs/provincial-generic.md §1; keep both in step.
 * Pure: the caller passes the current indicator codes and the time.
 */
import { isValidIdNumber } from '../business/idcard.js';

/** A record as sent: every value a string (national field names). */
export type EvaluationRecord = Readonly<Record<string, string>>;

export type RejectCode =
  | 'E_TYPE' | 'E_REQUIRED' | 'E_FIELD_UNKNOWN' | 'E_FIELD_TOO_LONG' | 'E_PROJECT_NO' | 'E_ASSESS_NUMBER'
  | 'E_SATISFACTION' | 'E_PF' | 'E_TIME_FORMAT' | 'E_TIME_ORDER' | 'E_TIME_FUTURE' | 'E_BAD_REVIEW_REASON'
  | 'E_INDICATOR_UNKNOWN' | 'E_CODE_VALUE' | 'E_CERT_KEY' | 'E_DATA_SOURCE' | 'E_NO_FIRST_RATING';

export const REJECT_CODES: readonly RejectCode[] = [
  'E_TYPE', 'E_REQUIRED', 'E_FIELD_UNKNOWN', 'E_FIELD_TOO_LONG', 'E_PROJECT_NO', 'E_ASSESS_NUMBER', 'E_SATISFACTION',
  'E_PF', 'E_TIME_FORMAT', 'E_TIME_ORDER', 'E_TIME_FUTURE', 'E_BAD_REVIEW_REASON', 'E_INDICATOR_UNKNOWN', 'E_CODE_VALUE',
  'E_CERT_KEY', 'E_DATA_SOURCE', 'E_NO_FIRST_RATING',
];

export interface RecordContext {
  /** Codes of the current indicator list version. */
  readonly indicatorCodes: ReadonlySet<string>;
  /** The simulator's clock, epoch ms. */
  readonly nowMs: number;
  /** When set, `dataSource` is required and must equal it. */
  readonly dataSource?: string | undefined;
}

export type RecordCheck =
  | { readonly ok: true; readonly record: EvaluationRecord; readonly projectNo: string; readonly assessNumber: '1' | '2' }
  | { readonly ok: false; readonly code: RejectCode; readonly reason: string; readonly projectNo: string; readonly assessNumber: string };

/** Maximum length of each optional field; also the list of known fields. */
const MAX_LEN: Readonly<Record<string, number>> = {
  projectNo: 50, assessNumber: 1, satisfaction: 1, pf: 1, assessTime: 19, evalDetail: 400, writingEvaluation: 500,
  taskCode: 64, taskHandleItem: 64, taskName: 200, subMatter: 200, proStatus: 1, proDepart: 200, deptCode: 18,
  areaCode: 12, proManager: 50, userProp: 1, userName: 100, userPageType: 3, certKey: 64, certKeyGOV: 128,
  acceptDate: 19, promiseTime: 1, dataSource: 3,
};
export const RECORD_FIELDS: readonly string[] = Object.keys(MAX_LEN);
const REQUIRED = ['projectNo', 'assessNumber', 'satisfaction', 'pf', 'assessTime'] as const;
const FUTURE_TOLERANCE_MS = 300_000;

/** `yyyy-MM-dd HH:mm:ss` China time (UTC+8) → epoch ms, or null when not a real time. */
export function parseChinaTime(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const t = new Date(ms);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return null;
  return ms - 8 * 3600_000;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function checkRecord(raw: unknown, ctx: RecordContext): RecordCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, code: 'E_TYPE', reason: '记录必须是JSON对象', projectNo: '', assessNumber: '' };
  }
  const rec = raw as Record<string, unknown>;
  const projectNo = str(rec.projectNo);
  const assessNumber = str(rec.assessNumber);
  const no = (code: RejectCode, reason: string): RecordCheck => ({ ok: false, code, reason, projectNo, assessNumber });

  for (const [k, v] of Object.entries(rec)) {
    if (!Object.prototype.hasOwnProperty.call(MAX_LEN, k)) return no('E_FIELD_UNKNOWN', `未知字段 ${k.slice(0, 40)}`);
    if (typeof v !== 'string') return no('E_TYPE', `字段 ${k} 必须是字符串`);
  }
  for (const k of REQUIRED) if (!str(rec[k]).trim()) return no('E_REQUIRED', `缺少必填字段 ${k}`);
  const v = rec as Record<string, string | undefined>;

  if (projectNo.length > 50 || /\s/.test(projectNo)) return no('E_PROJECT_NO', '办件编号 projectNo 须为1至50个字符且不含空白');
  if (assessNumber !== '1' && assessNumber !== '2') return no('E_ASSESS_NUMBER', '评价次数 assessNumber 须为1或2');
  const sat = v.satisfaction ?? '';
  if (!/^[1-5]$/.test(sat)) return no('E_SATISFACTION', '满意度 satisfaction 须为1至5');
  if (!/^[1-7]$/.test(v.pf ?? '')) return no('E_PF', '评价渠道 pf 须为1至7');
  const assessMs = parseChinaTime(v.assessTime ?? '');
  if (assessMs === null) return no('E_TIME_FORMAT', '评价时间 assessTime 格式须为 yyyy-MM-dd HH:mm:ss');
  if (v.acceptDate !== undefined) {
    const acceptMs = parseChinaTime(v.acceptDate);
    if (acceptMs === null) return no('E_TIME_FORMAT', '收件时间 acceptDate 格式须为 yyyy-MM-dd HH:mm:ss');
    if (assessMs < acceptMs) return no('E_TIME_ORDER', '评价时间 assessTime 不得早于收件时间 acceptDate');
  }
  if (assessMs > ctx.nowMs + FUTURE_TOLERANCE_MS) return no('E_TIME_FUTURE', '评价时间 assessTime 晚于当前时间');

  const detail = v.evalDetail;
  const text = (v.writingEvaluation ?? '').trim();
  if (Number(sat) <= 2 && !(detail ?? '').trim() && !text) return no('E_BAD_REVIEW_REASON', '差评须填写评价指标或文字评价');
  if (detail !== undefined && detail !== '') {
    for (const code of detail.split(',')) {
      if (!ctx.indicatorCodes.has(code)) return no('E_INDICATOR_UNKNOWN', `评价指标 ${code.slice(0, 20)} 不在当前指标清单中`);
    }
  }
  for (const [k, max] of Object.entries(MAX_LEN)) {
    const val = v[k];
    if (val !== undefined && val.length > max) return no('E_FIELD_TOO_LONG', `字段 ${k} 超过 ${max} 个字符`);
  }
  if (v.proStatus !== undefined && !/^[123]$/.test(v.proStatus)) return no('E_CODE_VALUE', '办件状态 proStatus 须为1、2或3');
  if (v.deptCode !== undefined && !/^[0-9A-Z]{18}$/.test(v.deptCode)) return no('E_CODE_VALUE', '部门编码 deptCode 须为18位');
  if (v.areaCode !== undefined && !/^(\d{6}|\d{12})$/.test(v.areaCode)) return no('E_CODE_VALUE', '区划编码 areaCode 须为6位或12位数字');
  if (v.userProp !== undefined && !/^[1-69]$/.test(v.userProp)) return no('E_CODE_VALUE', '评价人类型 userProp 取值无效');
  if (v.userPageType !== undefined && !/^\d{3}$/.test(v.userPageType)) return no('E_CODE_VALUE', '证件类型 userPageType 须为3位数字');
  if (v.promiseTime !== undefined && !/^[12]$/.test(v.promiseTime)) return no('E_CODE_VALUE', '办件类型 promiseTime 须为1或2');
  if (v.userPageType === '111' && v.certKey !== undefined && !isValidIdNumber(v.certKey)) {
    return no('E_CERT_KEY', '证件号码 certKey 不是有效的居民身份证号码');
  }
  if (v.dataSource !== undefined && !/^\d{3}$/.test(v.dataSource)) return no('E_DATA_SOURCE', '数据来源 dataSource 须为3位数字');
  if (ctx.dataSource !== undefined && v.dataSource !== ctx.dataSource) return no('E_DATA_SOURCE', `数据来源 dataSource 须为 ${ctx.dataSource}`);
  return { ok: true, record: rec as EvaluationRecord, projectNo, assessNumber };
}
