/**
 * The signed JSON envelope of the `signed-envelope` profile (Shandong style), docs §4:
 * sign = lower-case hex HMAC(alg, secret, timestamp + appId + data). HMAC-SM3 uses Node's own
 * OpenSSL SM3, so no extra package is needed. Real Shandong uses SM2 certificates; this keeps the
 * envelope and the "time + app id + body" rule with a shared secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGN_TYPES = { 'HMAC-SHA256': 'sha256', 'HMAC-SM3': 'sm3' } as const;
export type SignType = keyof typeof SIGN_TYPES;

export interface Envelope {
  readonly appId: string;
  readonly timestamp: string;
  readonly signType: string;
  readonly data: string;
  readonly sign: string;
}

export function isSignType(s: string): s is SignType {
  return Object.prototype.hasOwnProperty.call(SIGN_TYPES, s);
}

export function envelopeSignature(signType: SignType, secret: string, timestamp: string, appId: string, data: string): string {
  return createHmac(SIGN_TYPES[signType], Buffer.from(secret, 'utf8')).update(Buffer.from(timestamp + appId + data, 'utf8')).digest('hex');
}

/** Builds a signed envelope around a business body (what a client adapter sends). */
export function sealEnvelope(body: unknown, opts: { appId: string; secret: string; nowMs: number; signType?: SignType }): Envelope {
  const signType = opts.signType ?? 'HMAC-SHA256';
  const data = JSON.stringify(body);
  const timestamp = String(Math.floor(opts.nowMs));
  return { appId: opts.appId, timestamp, signType, data, sign: envelopeSignature(signType, opts.secret, timestamp, opts.appId, data) };
}

export type EnvelopeCheck =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly code: 'E_ENVELOPE' | 'E_APP_ID' | 'E_SIGN_TYPE' | 'E_TIMESTAMP' | 'E_SIGN' | 'E_JSON'; readonly msg: string };

const MAX_SKEW_MS = 300_000;

/** Verifies an envelope as the province does; never throws. */
export function openEnvelope(raw: unknown, opts: { appId: string; secret: string; nowMs: number }): EnvelopeCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, code: 'E_ENVELOPE', msg: '报文须为JSON对象' };
  const e = raw as Record<string, unknown>;
  for (const k of ['appId', 'timestamp', 'signType', 'data', 'sign']) {
    if (typeof e[k] !== 'string') return { ok: false, code: 'E_ENVELOPE', msg: `报文缺少字符串字段 ${k}` };
  }
  const env = e as unknown as Envelope;
  if (env.appId !== opts.appId) return { ok: false, code: 'E_APP_ID', msg: '应用标识 appId 无效' };
  if (!isSignType(env.signType)) return { ok: false, code: 'E_SIGN_TYPE', msg: '不支持的签名算法 signType' };
  if (!/^\d{1,16}$/.test(env.timestamp) || Math.abs(Number(env.timestamp) - opts.nowMs) > MAX_SKEW_MS) {
    return { ok: false, code: 'E_TIMESTAMP', msg: '时间戳 timestamp 无效或超出允许范围' };
  }
  const want = Buffer.from(envelopeSignature(env.signType, opts.secret, env.timestamp, env.appId, env.data), 'utf8');
  const got = Buffer.from(env.sign, 'utf8');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, code: 'E_SIGN', msg: '签名验证失败' };
  try {
    return { ok: true, body: JSON.parse(env.data) as unknown };
  } catch {
    return { ok: false, code: 'E_JSON', msg: '业务数据 data 不是有效的JSON' };
  }
}
