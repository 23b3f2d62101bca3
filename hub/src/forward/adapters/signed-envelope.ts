/**
 * `signed-envelope`: a JSON envelope signed over time + app id + body, in the style Shandong uses.
 *
 * Request body: `{ "appId", "timestamp": "yyyyMMddHHmmss" (China time), "signType": "HMAC-SHA256" |
 * "HMAC-SM3", "data": "<the records array as a JSON string>", "sign": hex(HMAC(secret, timestamp +
 * appId + data)) }`. Signing the exact `data` string means no canonicalisation is needed on either side.
 * Shandong itself signs with SM2 (asymmetric); no maintained SM2 package was at hand, so this
 * adapter signs with HMAC-SHA256 or HMAC-SM3 (both from node:crypto / OpenSSL). An SM2 variant is
 * one more `signType` here once a key pair and library are agreed.
 *
 * Answer: `{ "code": "0000" | other, "msg", "data": [{ "projectNo", "assessNumber", "resultCode":
 * "0" accepted | "1" duplicate | "2" rejected, "resultMsg" }] }`. Envelope codes: "0000" ok,
 * "1001" bad signature / "1002" stale timestamp / "5xxx" busy = retry later; any other code = the
 * batch as a whole was refused.
 */
import { createHmac } from 'node:crypto';
import {
  allOutcomes, matchResults, parseJsonObject, recordKey, statusOutcome, str,
  type AdapterContext, type ProvinceAdapter, type RecordOutcome,
} from '../adapter.js';
import { formatTime } from '../mapping.js';

export interface SignedEnvelope {
  appId: string;
  timestamp: string;
  signType: 'HMAC-SHA256' | 'HMAC-SM3';
  data: string;
  sign: string;
}

export function envelopeSignature(secret: string, signType: SignedEnvelope['signType'], timestamp: string, appId: string, data: string): string {
  return createHmac(signType === 'HMAC-SM3' ? 'sm3' : 'sha256', secret).update(timestamp + appId + data, 'utf8').digest('hex');
}

function outcomeOf(r: Record<string, unknown>): RecordOutcome {
  const c = str(r['resultCode']);
  const msg = str(r['resultMsg']) ?? '';
  if (c === '0') return { kind: 'accepted' };
  if (c === '1') return { kind: 'duplicate' };
  if (c === '2') return { kind: 'rejected', code: str(r['errorCode']) ?? 'REJECTED', reason: msg || 'rejected without a message' };
  return { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unknown resultCode ${String(c)}` };
}

export const signedEnvelope: ProvinceAdapter = {
  name: 'signed-envelope',
  map: (record) => ({ ...record }),
  envelope: (records, { profile, nowMs }: AdapterContext): Omit<SignedEnvelope, 'sign'> => ({
    appId: profile.credentials.appId,
    timestamp: formatTime(nowMs, 'yyyyMMddHHmmss'),
    signType: profile.signature === 'hmac-sm3' ? 'HMAC-SM3' : 'HMAC-SHA256',
    data: JSON.stringify(records),
  }),
  sign: (envelope, { profile }) => {
    const e = envelope as Omit<SignedEnvelope, 'sign'>;
    const signed: SignedEnvelope = { ...e, sign: envelopeSignature(profile.credentials.secret, e.signType, e.timestamp, e.appId, e.data) };
    return { url: profile.endpoint, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed) };
  },
  parse: (answer, records) => {
    const byStatus = statusOutcome(answer.status, answer.body, records.length);
    if (byStatus) return byStatus;
    const obj = parseJsonObject(answer.body);
    const code = str(obj?.['code']);
    const msg = str(obj?.['msg']) ?? '';
    if (obj === null || code === null) {
      return allOutcomes(records.length, { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unreadable answer: ${answer.body.slice(0, 200)}` });
    }
    if (code !== '0000') {
      if (code === '1001' || code === '1002' || code.startsWith('5')) {
        return allOutcomes(records.length, { kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE', reason: `${code} ${msg}` });
      }
      return allOutcomes(records.length, records.length > 1
        ? { kind: 'retryable', code: 'HCP_PROVINCE_REJECTED', reason: `${code} ${msg}`, isolate: true }
        : { kind: 'rejected', code, reason: msg || code });
    }
    const data = obj['data'];
    const objs = Array.isArray(data) ? data.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object') : [];
    return matchResults(records, objs, (r) => {
      const p = str(r['projectNo']);
      const a = str(r['assessNumber']);
      return p !== null && a !== null ? recordKey(p, a) : null;
    }, outcomeOf);
  },
};
