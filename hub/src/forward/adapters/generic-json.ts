/**
 * `generic-json`: the generic profile the simulator's provincial system speaks (docs/provincial-generic.md).
 *
 * Request: POST {endpoint}, `content-type: application/json`, `x-app-id: {appId}`,
 * `authorization: Bearer {secret}` when a secret is set; body `{ "appId", "records": [record...] }`
 * with the national field names, every value a string.
 * Answer: HTTP 200 `{ "results": [{ "projectNo", "assessNumber", "status": "accepted" | "duplicate"
 * | "rejected", "code"?, "message"? }] }`; 408/429/5xx/401/403 = try again later; other 4xx = the
 * batch as a whole was refused.
 */
import {
  allOutcomes, matchResults, parseJsonObject, recordKey, statusOutcome, str,
  type ProvinceAdapter, type RecordOutcome,
} from '../adapter.js';

function outcomeOf(r: Record<string, unknown>): RecordOutcome {
  const status = str(r['status']);
  if (status === 'accepted') return { kind: 'accepted' };
  if (status === 'duplicate') return { kind: 'duplicate' };
  const code = str(r['code']) ?? 'REJECTED';
  const reason = str(r['message']) ?? 'rejected without a message';
  if (status === 'rejected') return { kind: 'rejected', code, reason };
  if (status === 'retry') return { kind: 'retryable', code, reason };
  return { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unknown status ${String(status)}` };
}

export const genericJson: ProvinceAdapter = {
  name: 'generic-json',
  map: (record) => ({ ...record }),
  envelope: (records, { profile }) => ({ appId: profile.credentials.appId, records }),
  sign: (envelope, { profile }) => ({
    url: profile.endpoint,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-app-id': profile.credentials.appId,
      ...(profile.credentials.secret ? { authorization: `Bearer ${profile.credentials.secret}` } : {}),
    },
    body: JSON.stringify(envelope),
  }),
  parse: (answer, records) => {
    const byStatus = statusOutcome(answer.status, answer.body, records.length);
    if (byStatus) return byStatus;
    const obj = parseJsonObject(answer.body);
    const results = obj?.['results'];
    if (!Array.isArray(results)) {
      return allOutcomes(records.length, { kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER', reason: `unreadable answer: ${answer.body.slice(0, 200)}` });
    }
    const objs = results.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object');
    return matchResults(records, objs, (r) => {
      const p = str(r['projectNo']);
      const a = str(r['assessNumber']);
      return p !== null && a !== null ? recordKey(p, a) : null;
    }, outcomeOf);
  },
};
