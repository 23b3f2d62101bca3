/**
 * `signed-envelope`: docs/provincial-generic.md section 4, a JSON envelope signed over
 * time + app id + body in the style Shandong uses.
 *
 * Every call POSTs `{ appId, timestamp: epoch-ms string, signType: "HMAC-SHA256" | "HMAC-SM3",
 * data: <JSON text of the business body>, sign: hex(HMAC(secret, timestamp + appId + data)) }`.
 * Records: `{endpoint}/gateway/evaluation/push`, data `{"records":[…]}`; indicators:
 * `{endpoint}/gateway/indicator/list`, data `{}`. Business outcomes come back as HTTP 200
 * `{ code: "0" | E_…, msg, data }`; data of a push is `{ summary, results }` as in the generic profile.
 * Signing the exact `data` text means neither side needs canonical JSON.
 * Shandong itself signs with SM2 certificates; no maintained SM2 package was at hand, so this
 * adapter signs with HMAC-SHA256 or HMAC-SM3, both from node:crypto (OpenSSL).
 */
import { createHmac } from 'node:crypto';
import {
  allOutcomes, matchResults, parseJsonObject, statusOutcome, str,
  type AdapterContext, type HttpRequest, type ProvinceAdapter, type RecordOutcome,
} from '../adapter.js';
import { recordOutcome } from './generic-json.js';

export interface SignedEnvelope {
  appId: string;
  timestamp: string;
  signType: 'HMAC-SHA256' | 'HMAC-SM3';
  data: string;
  sign: string;
}

export function envelopeSignature(secret: string, signType: SignedEnvelope['signType'], timestamp: string, appId: string, data: string): string {
  return createHmac(signType === 'HMAC-SM3' ? 'sm3' : 'sha256', Buffer.from(secret, 'utf8')).update(timestamp + appId + data, 'utf8').digest('hex');
}

function signedCall({ profile, nowMs }: AdapterContext, path: string, data: string): HttpRequest {
  const signType: SignedEnvelope['signType'] = profile.signature === 'hmac-sm3' ? 'HMAC-SM3' : 'HMAC-SHA256';
  const timestamp = String(Math.floor(nowMs));
  const appId = profile.credentials.appId;
  const env: SignedEnvelope = { appId, timestamp, signType, data, sign: envelopeSignature(profile.credentials.secret, signType, timestamp, appId, data) };
  return { url: `${profile.endpoint.replace(/\/+$/, '')}${path}`, method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(env) };
}

/** Envelope codes that a config fix or time cures: never dead-letter records for them. */
const RETRY_CODES = new Set(['E_APP_ID', 'E_SIGN_TYPE', 'E_TIMESTAMP', 'E_SIGN']);

function envelopeOutcome(code: string, msg: string, n: number): RecordOutcome[] {
  if (RETRY_CODES.has(code)) return allOutcomes(n, { kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE', reason: `${code} ${msg}` });
  return allOutcomes(n, n > 1
    ? { kind: 'retryable', code: 'HCP_PROVINCE_REJECTED', reason: `${code} ${msg}`, isolate: true }
    : { kind: 'rejected', code, reason: msg || code });
}

export const signedEnvelope: ProvinceAdapter = {
  name: 'signed-envelope',
  map: (record) => record,
  envelope: (records) => ({ records }),
  sign: (envelope, ctx) => signedCall(ctx, '/gateway/evaluation/push', JSON.stringify(envelope)),
  requestFromJson: (recordJsons, ctx) => signedCall(ctx, '/gateway/evaluation/push', `{"records":[${recordJsons.join(',')}]}`),
  parse: (answer, records) => {
    const byStatus = statusOutcome(answer.status, answer.body, records.length);
    if (byStatus) return byStatus;
    const obj = parseJsonObject(answer.body);
    const code = str(obj?.['code']);
    if (obj === null || code === null) {
      return allOutcomes(records.length, { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unreadable answer: ${answer.body.slice(0, 200)}` });
    }
    if (code !== '0') return envelopeOutcome(code, str(obj['msg']) ?? '', records.length);
    const data = obj['data'];
    const results = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)['results'] : undefined;
    if (!Array.isArray(results)) {
      return allOutcomes(records.length, { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: 'answer has no results' });
    }
    return matchResults(records, results, recordOutcome);
  },
  indicatorsRequest: (ctx) => signedCall(ctx, '/gateway/indicator/list', '{}'),
  parseIndicators: (answer) => {
    if (answer.status !== 200) return null;
    const obj = parseJsonObject(answer.body);
    if (str(obj?.['code']) !== '0') return null;
    const data = obj?.['data'];
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  },
};
