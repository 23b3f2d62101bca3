import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exampleRating } from '@hcp/protocol/examples';
import { buildRequest } from '../../../src/forward/adapter.js';
import { envelopeSignature, signedEnvelope, type SignedEnvelope } from '../../../src/forward/adapters/signed-envelope.js';
import { mapRecords } from '../../../src/forward/mapping.js';
import { loadProfile } from '../../../src/forward/profile.js';

const mk = (signature: 'hmac-sha256' | 'hmac-sm3') => loadProfile({
  name: 'shandong', adapter: 'signed-envelope', endpoint: 'http://127.0.0.1:9', credentials: { appId: 'APP01', secret: 's3cret' }, signature,
});
const nowMs = Date.parse('2026-11-21T02:15:30Z');
const answer = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });

describe('signed-envelope adapter (docs/provincial-generic.md §4)', () => {
  it('signs timestamp + app id + data with HMAC-SHA256', () => {
    const profile = mk('hmac-sha256');
    const records = mapRecords(exampleRating, {}, null, profile);
    const req = buildRequest(signedEnvelope, records, { profile, nowMs });
    expect(req.url).toBe('http://127.0.0.1:9/gateway/evaluation/push');
    const env = JSON.parse(req.body) as SignedEnvelope;
    expect(env).toMatchObject({ appId: 'APP01', timestamp: String(nowMs), signType: 'HMAC-SHA256' });
    expect(JSON.parse(env.data)).toEqual({ records });
    const expected = createHmac('sha256', 's3cret').update(`${nowMs}APP01${env.data}`).digest('hex');
    expect(env.sign).toBe(expected);
    expect(envelopeSignature('s3cret', 'HMAC-SHA256', String(nowMs + 1), 'APP01', env.data)).not.toBe(expected);
    expect(envelopeSignature('s3cret', 'HMAC-SHA256', env.timestamp, 'APP02', env.data)).not.toBe(expected);
    expect(envelopeSignature('s3cret', 'HMAC-SHA256', env.timestamp, 'APP01', `${env.data} `)).not.toBe(expected);
  });

  it('can sign with HMAC-SM3 (OpenSSL through node:crypto)', () => {
    const profile = mk('hmac-sm3');
    const env = JSON.parse(buildRequest(signedEnvelope, mapRecords(exampleRating, {}, null, profile), { profile, nowMs }).body) as SignedEnvelope;
    expect(env.signType).toBe('HMAC-SM3');
    expect(env.sign).toBe(createHmac('sm3', 's3cret').update(env.timestamp + env.appId + env.data).digest('hex'));
    expect(envelopeSignature('k', 'HMAC-SM3', 'a', 'b', 'c')).toBe('af684d81732e81f6a9c5dd0aa68f27667b36debcebe29e094a654c3d496a898a');
  });

  it('parses per-record results inside a code "0" envelope', () => {
    const profile = mk('hmac-sha256');
    const ctx = { profile, nowMs };
    const records = mapRecords(exampleRating, {}, null, profile);
    const [a, b] = records;
    expect(signedEnvelope.parse(answer({ code: '0', msg: 'ok', data: { summary: {}, results: [
      { index: 0, projectNo: a!.projectNo, assessNumber: '1', status: 'accepted' },
      { index: 1, projectNo: b!.projectNo, assessNumber: '1', status: 'rejected', code: 'E_PROJECT_NO', reason: '办件编号格式错误' },
    ] } }), records, ctx)).toEqual([{ kind: 'accepted' }, { kind: 'rejected', code: 'E_PROJECT_NO', reason: '办件编号格式错误' }]);
  });

  it('keeps records queued on signature/time/app-id codes; isolates other envelope refusals', () => {
    const profile = mk('hmac-sha256');
    const ctx = { profile, nowMs };
    const records = mapRecords(exampleRating, {}, null, profile);
    for (const code of ['E_SIGN', 'E_TIMESTAMP', 'E_APP_ID', 'E_SIGN_TYPE']) expect(signedEnvelope.parse(answer({ code, msg: 'x', data: null }), records, ctx)[0]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE' });
    expect(signedEnvelope.parse(answer({ code: 'E_BODY', msg: '参数错误' }), records, ctx)[0]).toMatchObject({ kind: 'retryable', isolate: true });
    expect(signedEnvelope.parse(answer({ code: 'E_BODY', msg: '参数错误' }), records.slice(0, 1), ctx)[0]).toEqual({ kind: 'rejected', code: 'E_BODY', reason: '参数错误' });
    expect(signedEnvelope.parse({ status: 200, body: 'nope' }, records, ctx)[0]).toMatchObject({ code: 'HCP_PROVINCE_BAD_ANSWER' });
    expect(signedEnvelope.parse({ status: 502, body: '' }, records, ctx)[0]).toMatchObject({ kind: 'retryable' });
    expect(signedEnvelope.parse(answer({ code: '0', data: null }), records, ctx)[0]).toMatchObject({ code: 'HCP_PROVINCE_BAD_ANSWER' });
  });

  it('fetches indicators through a signed call with data "{}"', () => {
    const profile = mk('hmac-sha256');
    const req = signedEnvelope.indicatorsRequest!({ profile, nowMs }, null);
    expect(req.url).toBe('http://127.0.0.1:9/gateway/indicator/list');
    expect(JSON.parse(req.body)).toMatchObject({ data: '{}' });
    expect(signedEnvelope.parseIndicators!(answer({ code: '0', data: { version: 'v', items: [] } }))).toEqual({ version: 'v', items: [] });
    expect(signedEnvelope.parseIndicators!(answer({ code: 'E_SIGN', data: null }))).toBeNull();
  });
  it('builds the same signed request from record JSON text (fast path)', () => {
    const profile = mk('hmac-sha256');
    const records = mapRecords(exampleRating, {}, null, profile);
    const fast = signedEnvelope.requestFromJson!(records.map((r) => JSON.stringify(r)), { profile, nowMs });
    const slow = buildRequest(signedEnvelope, records, { profile, nowMs });
    expect(fast).toEqual(slow);
  });
});
