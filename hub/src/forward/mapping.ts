/**
 * Canonical rating + case context (+ applicant, decrypted by the caller at send time) → the national
 * 好差评 field set, all strings, ONE RECORD PER CASE NUMBER. Pure: no I/O, no clock.
 * Field meanings: shared/reference/haochaping-data.md; code variants come from the profile.
 */
import { createHash } from 'node:crypto';
import {
  CHANNELS, HcpError, channelCode, formatChinaTime, isBadReview, promiseCode, provinceLevel, userPropCode,
  type Applicant, type Channel, type Rating,
} from '@hcp/protocol';
import type { ProvinceProfile } from './profile.js';

/** The parts of a canonical Rating the forwarder needs (a Rating is assignable to it). */
export type ForwardSource = Pick<
  Rating,
  'id' | 'caseNumbers' | 'level' | 'indicators' | 'channel' | 'assessNumber' | 'origin' | 'flags' | 'givenAt' | 'indicatorVersion'
  | 'sessionId' | 'staffId' | 'itemCode' | 'hallId' | 'windowId'
> & {
  text?: string | undefined;
  /** When the hub stored the rating (its own trusted clock); used when the device clock was not trusted. */
  receivedAt?: string | undefined;
};

/**
 * Non-personal case data, captured when the rating is stored (from the session / registry).
 * Personal data never goes here: it is fetched and decrypted at send time (`Applicant`).
 */
export interface CaseContext {
  itemCode?: string | undefined;
  itemName?: string | undefined;
  handleItemCode?: string | undefined;
  subMatter?: string | undefined;
  caseStatus?: 'pending' | 'in-progress' | 'completed' | undefined;
  promiseKind?: 'immediate' | 'promised' | undefined;
  staffName?: string | undefined;
  deptName?: string | undefined;
  deptCode?: string | undefined;
  areaCode?: string | undefined;
  /** 收件时间, ISO instant. */
  acceptedAt?: string | undefined;
}

export type ApplicantData = Pick<Applicant, 'name' | 'idType' | 'idNumber' | 'userType'>;

/** One evaluation record as the national field set names it. Every value a string. */
export type NationalRecord = Readonly<Record<string, string>> & {
  readonly projectNo: string;
  readonly assessNumber: string;
  readonly satisfaction: string;
  readonly pf: string;
  readonly assessTime: string;
};

const REQUIRED: ReadonlySet<string> = new Set(['projectNo', 'assessNumber', 'satisfaction', 'pf', 'assessTime']);

/** Fields that carry personal data; masked in every view (see `maskRecord`). */
export const PERSONAL_FIELDS: readonly string[] = ['userName', 'certKey', 'certKeyGOV'];

export function formatTime(ms: number, format: ProvinceProfile['codes']['dateFormat']): string {
  if (format === 'epoch-ms') return String(ms);
  const s = formatChinaTime(ms);
  return format === 'yyyyMMddHHmmss' ? s.replace(/[- :]/g, '') : s;
}

/** Province `pf` for a rating: the default-rating code for hub defaults, else the profile's channel table. */
export function provinceChannel(source: Pick<ForwardSource, 'origin' | 'channel'>, profile: ProvinceProfile): string {
  const variant = profile.codes.channelVariant;
  if (source.origin === 'default') {
    const policy = profile.defaultRating;
    if (policy.mode === 'after-working-days' && policy.channelCode) return policy.channelCode;
    return String(channelCode('default', variant));
  }
  const explicit = profile.codes.channels?.[String(source.channel)];
  if (explicit !== undefined) return explicit;
  const key = CHANNELS[source.channel as Channel]?.key;
  if (!key) throw new HcpError('HCP_CODE_UNMAPPED', { table: 'channel', key: source.channel });
  return String(channelCode(key, variant));
}

/**
 * Maps one rating to its records (one per case number). Throws HcpError (HCP_CODE_UNMAPPED,
 * HCP_BAD_REVIEW_NEEDS_REASON, HCP_VALIDATION) when a record could never be accepted: the
 * worker dead-letters those instead of sending them.
 * `overrides`: operator corrections (field → value) applied last, after a dead letter was fixed.
 */
export function mapRecords(
  source: ForwardSource,
  context: CaseContext,
  applicant: ApplicantData | null,
  profile: ProvinceProfile,
  caseNumbers: readonly string[] = source.caseNumbers,
  overrides: Readonly<Record<string, string>> = {},
): NationalRecord[] {
  const text = source.text?.trim() ?? '';
  if (isBadReview(source.level) && source.indicators.length === 0 && text === '' && !overrides['evalDetail'] && !overrides['writingEvaluation']) {
    throw new HcpError('HCP_BAD_REVIEW_NEEDS_REASON', { ratingId: source.id, level: source.level });
  }
  if (caseNumbers.length === 0) throw new HcpError('HCP_VALIDATION', { ratingId: source.id, errors: [{ field: '/caseNumbers', rule: 'at least one case number' }] });
  const c = profile.codes;
  // A device clock that was never trusted nor corrected gives no usable time: send the hub's receipt
  // time instead (the rating was given no later than that), rather than a 1970 date the province refuses.
  const untrusted = source.flags.includes('clock-untrusted') && !source.flags.includes('clock-corrected');
  const givenMs = untrusted && source.receivedAt ? Date.parse(source.receivedAt) : Date.parse(source.givenAt);
  // A rating cannot precede the service it rates: a device clock slightly behind the business
  // system's (which sets the session's time) would otherwise make the province refuse the record
  // (assessTime before acceptDate). The hub's stored givenAt is not changed.
  const acceptMs = context.acceptedAt ? Date.parse(context.acceptedAt) : Number.NaN;
  const assessMs = givenMs < acceptMs ? acceptMs : givenMs;
  const base: Record<string, string> = {
    assessNumber: String(source.assessNumber),
    satisfaction: provinceLevel(source.level, c.levelOrder),
    evalDetail: source.indicators.join(','),
    writingEvaluation: text,
    pf: provinceChannel(source, profile),
    assessTime: formatTime(assessMs, c.dateFormat),
    taskCode: context.itemCode ?? source.itemCode ?? '',
    taskHandleItem: context.handleItemCode ?? '',
    taskName: context.itemName ?? '',
    subMatter: context.subMatter ?? '',
    proStatus: context.caseStatus ? ({ pending: '1', 'in-progress': '2', completed: '3' } as const)[context.caseStatus] : '',
    proDepart: context.deptName || profile.hall.deptName,
    deptCode: context.deptCode || profile.hall.deptCode,
    areaCode: context.areaCode || profile.hall.areaCode,
    proManager: context.staffName ?? '',
    acceptDate: Number.isNaN(acceptMs) ? '' : formatTime(acceptMs, c.dateFormat),
    promiseTime: context.promiseKind ? promiseCode(context.promiseKind, c.promiseOrder) : '',
    dataSource: c.dataSource,
  };
  if (applicant) Object.assign(base, personalFields(applicant, profile));
  if (source.origin === 'default' && profile.defaultRating.mode === 'after-working-days' && profile.defaultRating.markField) {
    base[profile.defaultRating.markField] = '1';
  }
  // Optional fields without a value are left out: provinces check formats of what is present
  // (an empty deptCode is not 18 characters), and absent means "not known".
  for (const k of Object.keys(base)) if (base[k] === '' && !REQUIRED.has(k)) delete base[k];
  return caseNumbers.map((projectNo) => {
    if (projectNo.length === 0 || projectNo.length > 50) {
      throw new HcpError('HCP_VALIDATION', { ratingId: source.id, errors: [{ field: '/projectNo', rule: '1..50 characters' }] });
    }
    return { ...base, projectNo, ...overrides } as NationalRecord;
  });
}

/** The applicant's fields of a record (decrypted data: build them only for the request). */
export function personalFields(applicant: ApplicantData, profile: ProvinceProfile): Record<string, string> {
  const c = profile.codes;
  const out: Record<string, string> = {
    userProp: userPropCode(applicant.userType, c.userType),
    userName: applicant.name,
    userPageType: applicant.idType,
  };
  out[c.idNumberField] = applicant.idNumber;
  for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  return out;
}

/** Identifies the parts of a profile that change how a record is mapped. */
export function profileFingerprint(profile: ProvinceProfile): string {
  return createHash('sha256').update(JSON.stringify([profile.codes, profile.hall, profile.defaultRating])).digest('base64url').slice(0, 22);
}

/**
 * The non-personal part of a rating's records as JSON text, without `projectNo`, made once when the
 * rating is queued, so sending needs no parsing or mapping (`recordJson`). Null when the rating
 * cannot be mapped (the worker then maps it at send time and dead-letters it with the reason).
 */
export function recordTemplate(source: ForwardSource, context: CaseContext, profile: ProvinceProfile): string | null {
  const [first] = source.caseNumbers;
  if (first === undefined) return null;
  try {
    const { projectNo: _p, ...rest } = mapRecords(source, context, null, profile, [first])[0]!;
    return JSON.stringify(rest);
  } catch {
    return null;
  }
}

/** One record's JSON from a template: projectNo first, then the template's fields, then personal fields. */
export function recordJson(template: string, projectNo: string, personal: Readonly<Record<string, string>> | null): string {
  const body = template.slice(1, -1);
  let extra = '';
  if (personal) for (const [k, v] of Object.entries(personal)) extra += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return `{"projectNo":${JSON.stringify(projectNo)}${body ? `,${body}` : ''}${extra}}`;
}

/** A copy safe to show an operator: personal fields masked (name → 张*, id → first 3 + last 4). */
export function maskRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...record };
  for (const f of PERSONAL_FIELDS) {
    const v = out[f];
    if (v === undefined || v === '') continue;
    out[f] = f === 'userName' ? `${[...v][0] ?? ''}*` : v.length <= 7 ? '*'.repeat(v.length) : `${v.slice(0, 3)}${'*'.repeat(v.length - 7)}${v.slice(-4)}`;
  }
  return out;
}
