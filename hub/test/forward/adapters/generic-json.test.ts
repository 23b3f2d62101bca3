import { describe, expect, it } from 'vitest';
import { exampleRating } from '@hcp/protocol/examples';
import { buildRequest } from '../../../src/forward/adapter.js';
import { genericJson } from '../../../src/forward/adapters/generic-json.js';
import { mapRecords } from '../../../src/forward/mapping.js';
import { loadProfile } from '../../../src/forward/profile.js';

const profile = loadProfile({ name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:9/', credentials: { appId: 'hall-1', secret: 't0k' } });
const ctx = { profile, nowMs: 0 };
const records = mapRecords(exampleRating, {}, null, profile);
const answer = (status: number, body: unknown) => ({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('generic-json adapter (docs/provincial-generic.md §3)', () => {
  it('posts {records} to /api/v1/evaluations with X-App-Id and X-App-Secret', () => {
    const req = buildRequest(genericJson, records, ctx);
    expect(req).toMatchObject({ url: 'http://127.0.0.1:9/api/v1/evaluations', method: 'POST', headers: { 'x-app-id': 'hall-1', 'x-app-secret': 't0k' } });
    expect(JSON.parse(req.body)).toEqual({ records });
  });

  it('parses per-record results by index, checking the echoed key', () => {
    const [a, b] = records;
    const out = genericJson.parse(answer(200, { code: '0', results: [
      { index: 1, projectNo: b!.projectNo, assessNumber: '1', status: 'rejected', code: 'E_INDICATOR_UNKNOWN', reason: 'evalDetail 指标代码不存在' },
      { index: 0, projectNo: a!.projectNo, assessNumber: '1', status: 'duplicate' },
    ] }), records, ctx);
    expect(out).toEqual([{ kind: 'duplicate' }, { kind: 'rejected', code: 'E_INDICATOR_UNKNOWN', reason: 'evalDetail 指标代码不存在' }]);
    // an echo that does not match its index is not trusted
    const wrong = genericJson.parse(answer(200, { results: [{ index: 0, projectNo: 'other', assessNumber: '1', status: 'accepted' }] }), records.slice(0, 1), ctx);
    expect(wrong[0]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER' });
    // without index, by key
    expect(genericJson.parse(answer(200, { results: [{ projectNo: a!.projectNo, assessNumber: '1', status: 'accepted' }] }), records.slice(0, 1), ctx)).toEqual([{ kind: 'accepted' }]);
  });

  it('treats 5xx, 429, 408 and unreadable answers as retryable; 401/404 as a config problem kept queued', () => {
    for (const s of [500, 503, 504, 429, 408]) expect(genericJson.parse(answer(s, 'busy'), records, ctx).every((o) => o.kind === 'retryable' && o.code === 'HCP_PROVINCE_UNAVAILABLE')).toBe(true);
    for (const s of [401, 404, 415]) expect(genericJson.parse(answer(s, '{"code":"E_AUTH"}'), records, ctx)[0]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_CONFIG' });
    expect(genericJson.parse(answer(200, '<html>'), records, ctx)[0]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER' });
    expect(genericJson.parse(answer(200, { results: [] }), records, ctx)[1]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER' });
    expect(genericJson.parse(answer(200, { results: [{ index: 0, projectNo: records[0]!.projectNo, assessNumber: '1', status: '??' }] }), records, ctx)[0]).toMatchObject({ kind: 'retryable' });
  });

  it('isolates a batch refused as a whole (400/413), and rejects a single record refused as a whole', () => {
    expect(genericJson.parse(answer(413, '{"code":"E_TOO_LARGE"}'), records, ctx)[0]).toMatchObject({ kind: 'retryable', isolate: true });
    expect(genericJson.parse(answer(400, 'bad'), records.slice(0, 1), ctx)).toEqual([{ kind: 'rejected', code: 'HTTP_400', reason: 'HTTP 400: bad' }]);
  });

  it('fetches indicators with If-None-Match', () => {
    const req = genericJson.indicatorsRequest!(ctx, 'sim-2026.11');
    expect(req).toMatchObject({ url: 'http://127.0.0.1:9/api/v1/indicators', method: 'GET', headers: { 'if-none-match': '"sim-2026.11"', 'x-app-secret': 't0k' } });
    expect(genericJson.parseIndicators!(answer(304, ''))).toBe('not-modified');
    expect(genericJson.parseIndicators!(answer(200, { version: 'v2', items: [] }))).toEqual({ version: 'v2', items: [] });
    expect(genericJson.parseIndicators!(answer(503, ''))).toBeNull();
  });
  it('builds the same request from record JSON text (fast path)', () => {
    const fast = genericJson.requestFromJson!(records.map((r) => JSON.stringify(r)), ctx);
    const slow = buildRequest(genericJson, records, ctx);
    expect(fast.body).toBeInstanceOf(Uint8Array);
    expect({ ...fast, body: JSON.parse(Buffer.from(fast.body).toString('utf8')) as unknown }).toEqual({ ...slow, body: JSON.parse(slow.body) as unknown });
  });
});
