/**
 * The 好差评 code tables as data, and mapping helpers for province adapters.
 * Source: shared/reference/haochaping-data.md (national field set, GB/T 39046-2020).
 *
 * Inside hcp a level is always the national `satisfaction` order: 5 = 非常满意 … 1 = 非常不满意.
 * GB/T 39046 Table A.8 numbers the other way round; convert only through `toGbtLevel`/`fromGbtLevel`.
 */
import { HcpError } from './errors.js';

export type Level = 1 | 2 | 3 | 4 | 5;
export const LEVELS: readonly Level[] = [5, 4, 3, 2, 1];

export const LEVEL_NAMES: Readonly<Record<Level, { zh: string; en: string }>> = {
  5: { zh: '非常满意', en: 'Very satisfied' },
  4: { zh: '满意', en: 'Satisfied' },
  3: { zh: '基本满意', en: 'Fairly satisfied' },
  2: { zh: '不满意', en: 'Dissatisfied' },
  1: { zh: '非常不满意', en: 'Very dissatisfied' },
};

export function isLevel(n: unknown): n is Level {
  return n === 1 || n === 2 || n === 3 || n === 4 || n === 5;
}

/** 差评: levels 1 and 2. They need indicator codes (evalDetail) or text (writingEvaluation). */
export function isBadReview(level: Level): boolean {
  return level <= 2;
}

export type RatingClass = 'good' | 'bad';
export function ratingClass(level: Level): RatingClass {
  return isBadReview(level) ? 'bad' : 'good';
}

/** GB/T 39046-2020 Table A.8 order: 1 = 非常满意 … 5 = 非常不满意. */
export function toGbtLevel(level: Level): Level {
  return (6 - level) as Level;
}
export function fromGbtLevel(gbt: number): Level {
  if (!isLevel(gbt)) throw new HcpError('HCP_LEVEL_INVALID', { value: gbt });
  return (6 - gbt) as Level;
}

/** 评价渠道 `pf`. */
export const CHANNELS = {
  1: { key: 'pc', zh: 'PC端' },
  2: { key: 'app', zh: '移动端' },
  3: { key: 'qr', zh: '二维码' },
  4: { key: 'tablet', zh: '政务大厅平板电脑' },
  5: { key: 'terminal', zh: '政务大厅其他终端' },
  6: { key: 'phone', zh: '电话' },
  7: { key: 'sms', zh: '短信' },
} as const;
export type Channel = keyof typeof CHANNELS;
export type ChannelKey = (typeof CHANNELS)[Channel]['key'];
export function isChannel(n: unknown): n is Channel {
  return typeof n === 'number' && Object.prototype.hasOwnProperty.call(CHANNELS, n);
}
/** Per-province overrides of the channel table (Zhejiang: 6 = SMS, 7 = system default). */
export type ChannelVariant = 'national' | 'zhejiang';
export function channelCode(key: ChannelKey | 'default', variant: ChannelVariant): number {
  if (variant === 'zhejiang') {
    if (key === 'sms') return 6;
    if (key === 'default') return 7;
    if (key === 'phone') throw new HcpError('HCP_CODE_UNMAPPED', { table: 'channel', key, variant });
  }
  if (key === 'default') throw new HcpError('HCP_CODE_UNMAPPED', { table: 'channel', key, variant });
  const found = Object.entries(CHANNELS).find(([, v]) => v.key === key);
  if (!found) throw new HcpError('HCP_CODE_UNMAPPED', { table: 'channel', key, variant });
  return Number(found[0]);
}

/** Evaluator type `userProp`, two variants seen in provinces. */
export type UserType = 'person' | 'enterprise' | 'public-institution' | 'social-org' | 'unincorporated' | 'government' | 'other';
export const USER_TYPES: readonly UserType[] = ['person', 'enterprise', 'public-institution', 'social-org', 'unincorporated', 'government', 'other'];
export const USER_TYPE_NAMES: Readonly<Record<UserType, string>> = {
  person: '自然人',
  enterprise: '企业法人',
  'public-institution': '事业法人',
  'social-org': '社会组织法人',
  unincorporated: '非法人企业',
  government: '行政机关',
  other: '其他',
};
export type UserTypeVariant = 'A' | 'B';
const USER_PROP_B: Readonly<Record<UserType, string>> = {
  person: '1', enterprise: '2', 'public-institution': '3', 'social-org': '4', unincorporated: '5', government: '6', other: '9',
};
/** Variant A has only 1 个人 / 2 法人; every legal-person kind collapses to 2. */
export function userPropCode(type: UserType, variant: UserTypeVariant): string {
  if (variant === 'A') return type === 'person' ? '1' : '2';
  return USER_PROP_B[type];
}

/** ID document type `userPageType`; 111 = 居民身份证 (GB/T 33190 style codes). */
export const ID_TYPES = {
  '111': '居民身份证',
  '414': '普通护照',
  '516': '港澳居民来往内地通行证',
  '511': '台湾居民来往大陆通行证',
  '001': '统一社会信用代码',
  '999': '其他',
} as const;
export type IdType = keyof typeof ID_TYPES;

/** 办件状态 `proStatus`. */
export type CaseStatus = 'pending' | 'in-progress' | 'completed';
export const CASE_STATUS_CODES: Readonly<Record<CaseStatus, string>> = { pending: '1', 'in-progress': '2', completed: '3' };
export const CASE_STATUS_NAMES: Readonly<Record<CaseStatus, string>> = { pending: '待受理', 'in-progress': '办理中', completed: '已办结' };

/** 即办件 / 承诺件 `promiseTime`: provinces disagree on which is 1. */
export type PromiseKind = 'immediate' | 'promised';
export type PromiseOrder = 'immediate-first' | 'promised-first';
export function promiseCode(kind: PromiseKind, order: PromiseOrder): string {
  const first: PromiseKind = order === 'immediate-first' ? 'immediate' : 'promised';
  return kind === first ? '1' : '2';
}

/** assessNumber: 1 first rating, 2 追加 follow-up rating. */
export type AssessNumber = 1 | 2;

/** Level as sent to a province, honouring its level order. Always a string, as the contract wants. */
export type LevelOrder = 'national' | 'gbt39046';
export function provinceLevel(level: Level, order: LevelOrder): string {
  return String(order === 'national' ? level : toGbtLevel(level));
}

/** `yyyy-MM-dd HH:mm:ss` in China time (UTC+8, no DST) from epoch ms. */
export function formatChinaTime(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
