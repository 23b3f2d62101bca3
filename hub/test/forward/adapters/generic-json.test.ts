import { describe, expect, it } from 'vitest';
import { exampleRating } from '@hcp/protocol/examples';
import { buildRequest } from '../../../src/forward/adapter.js';
import { genericJson } from '../../../src/forward/adapters/generic-json.js';
import { mapRecords } from '../../../src/forward/mapping.js';
import { loadProfile } from '../../../src/forward/profile.js';

const profile = loadProfile({ name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:9/records', credentials: { appId: 'hall-1', secret: 't0k' } });
const ctx = { profile, nowMs: 0 };
const records = mapRecords(exampleRating, {}, null, profile);
const answer = (status: number, body: unknown) => ({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('generic-json adapter', () => {
  it('posts the records with app id and token', () => {
    const req = buildRequest(genericJson, records, ctx);
    expect(req).toMatchObject({ url: 'http://127.0.0.1:9/records', method: 'POST', headers: { 'x-app-id': 'hall-1', authorization: 'Bearer t0k' } });
    expect(JSON.parse(req.body)).toEqual({ appId: 'hall-1', records });
  });

  it('parses per-record accepted / duplicate / rejected by key, whatever the order', () => {
    const [a, b] = records;
    const out = genericJson.parse(answer(200, { results: [
      { projectNo: b!.projectNo, assessNumber: '1', status: 'rejected', code: 'E17', message: 'evalDetail 指标代码不存在' },
      { projectNo: a!.projectNo, assessNumber: 1, status: 'duplicate' },
    ] }), records, ctx);
    expect(out).toEqual([{ kind: 'duplicate' }, { kind: 'rejected', code: 'E17', reason: 'evalDetail 指标代码不存在' }]);
  });

  it('treats 5xx, 429, 401 and unreadable answers as retryable', () => {
    for (const s of [500, 503, 429, 408, 401]) expect(genericJson.parse(answer(s, 'busy'), records, ctx).every((o) => o.kind === 'retryable')).toBe(true);
    expect(genericJson.parse(answer(200, '<html>'), records, ctx)[0]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER' });
    expect(genericJson.parse(answer(200, { results: [] }), records, ctx)[1]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_BAD_ANSWER' });
    expect(genericJson.parse(answer(200, { results: [{ projectNo: records[0]!.projectNo, assessNumber: '1', status: '??' }] }), records, ctx)[0]).toMatchObject({ kind: 'retryable' });
  });

  it('isolates a batch refused as a whole, and rejects a single record refused as a whole', () => {
    expect(genericJson.parse(answer(400, 'bad'), records, ctx)[0]).toMatchObject({ kind: 'retryable', isolate: true });
    expect(genericJson.parse(answer(400, 'bad'), records.slice(0, 1), ctx)).toEqual([{ kind: 'rejected', code: 'HTTP_400', reason: 'HTTP 400: bad' }]);
  });
});
