/**
 * `generic-json`: the generic profile of docs/provincial-generic.md (section 3), which the
 * simulator's provincial system speaks.
 *
 * Records: `POST {endpoint}/api/v1/evaluations`, headers `X-App-Id` / `X-App-Secret`, body
 * `{ "records": [record…] }`; answer 200 `{ "code": "0", "results": [{ index, projectNo,
 * assessNumber, status: accepted | duplicate | rejected, code?, reason? }] }` in request order.
 * Indicators: `GET {endpoint}/api/v1/indicators` → `IndicatorList`, with ETag / If-None-Match.
 * HTTP 5xx / 408 / 429, a reset or no answer: "may or may not have been stored" → retry the same
 * records; `duplicate` then means stored.
 */
import {
  allOutcomes, jsonListBytes, matchResults, parseJsonObject, statusOutcome, str,
  type AdapterContext, type BatchRequest, type HttpRequest, type ProvinceAdapter, type RecordOutcome,
} from '../adapter.js';

export function recordOutcome(r: Record<string, unknown>): RecordOutcome {
  const status = str(r['status']);
  if (status === 'accepted') return { kind: 'accepted' };
  if (status === 'duplicate') return { kind: 'duplicate' };
  if (status === 'rejected') return { kind: 'rejected', code: str(r['code']) ?? 'REJECTED', reason: str(r['reason']) ?? str(r['message']) ?? '未说明原因' };
  return { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unknown status ${String(status)}` };
}

const url = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;

function post(profile: AdapterContext['profile'], body: string): HttpRequest;
function post(profile: AdapterContext['profile'], body: string | Uint8Array): BatchRequest;
function post(profile: AdapterContext['profile'], body: string | Uint8Array): BatchRequest {
  return {
    url: url(profile.endpoint, '/api/v1/evaluations'),
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-app-id': profile.credentials.appId,
      'x-app-secret': profile.credentials.secret,
    },
    body,
  };
}

export const genericJson: ProvinceAdapter = {
  name: 'generic-json',
  map: (record) => record,
  envelope: (records) => ({ records }),
  sign: (envelope, { profile }) => post(profile, JSON.stringify(envelope)),
  requestFromJson: (recordJsons, { profile }) => post(profile, jsonListBytes('{"records":[', recordJsons, ']}')),
  parse: (answer, records) => {
    const byStatus = statusOutcome(answer.status, answer.body, records.length);
    if (byStatus) return byStatus;
    const results = parseJsonObject(answer.body)?.['results'];
    if (!Array.isArray(results)) {
      return allOutcomes(records.length, { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unreadable answer: ${answer.body.slice(0, 200)}` });
    }
    return matchResults(records, results, recordOutcome);
  },
  indicatorsRequest: ({ profile }, etag) => ({
    url: url(profile.endpoint, '/api/v1/indicators'),
    method: 'GET',
    headers: {
      'x-app-id': profile.credentials.appId,
      'x-app-secret': profile.credentials.secret,
      ...(etag ? { 'if-none-match': `"${etag}"` } : {}),
    },
    body: '',
  }),
  parseIndicators: (answer) => {
    if (answer.status === 304) return 'not-modified';
    if (answer.status !== 200) return null;
    return parseJsonObject(answer.body);
  },
};
