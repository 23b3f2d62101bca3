import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exampleRating } from '@hcp/protocol/examples';
import { buildRequest } from '../../../src/forward/adapter.js';
import { envelopeSignature, signedEnvelope, type SignedEnvelope } from '../../../src/forward/adapters/signed-envelope.js';
import { mapRecords } from '../../../src/forward/mapping.js';
import { loadProfile } from '../../../src/forward/profile.js';

const mk = (signature: 'hmac-sha256' | 'hmac-sm3') => loadProfile({
  name: 'shandong', adapter: 'signed-envelope', endpoint: 'http://127.0.0.1:9/api/eval', credentials: { appId: 'APP01', secret: 's3cret' }, signature,
});
const nowMs = Date.parse('2026-11-21T02:15:30Z');
const answer = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });

describe('signed-envelope adapter', () => {
  it('signs time + app id + data with HMAC-SHA256', () => {
    const profile = mk('hmac-sha256');
    const records = mapRecords(exampleRating, {}, null, profile);
    const req = buildRequest(signedEnvelope, records, { profile, nowMs });
    const env = JSON.parse(req.body) as SignedEnvelope;
    expect(env).toMatchObject({ appId: 'APP01', timestamp: '20261121101530', signType: 'HMAC-SHA256' });
    expect(JSON.parse(env.data)).toEqual(records);
    const expected = createHmac('sha256', 's3cret').update(`20261121101530APP01${env.data}`).digest('hex');
    expect(env.sign).toBe(expected);
    // Any change of time, app id or body changes the signature.
    expect(envelopeSignature('s3cret', 'HMAC-SHA256', '20261121101531', 'APP01', env.data)).not.toBe(expected);
    expect(envelopeSignature('s3cret', 'HMAC-SHA256', env.timestamp, 'APP02', env.data)).not.toBe(expected);
    expect(envelopeSignature('s3cret', 'HMAC-SHA256', env.timestamp, 'APP01', `${env.data} `)).not.toBe(expected);
  });

  it('can sign with HMAC-SM3 (OpenSSL through node:crypto)', () => {
    const profile = mk('hmac-sm3');
    const env = JSON.parse(buildRequest(signedEnvelope, mapRecords(exampleRating, {}, null, profile), { profile, nowMs }).body) as SignedEnvelope;
    expect(env.signType).toBe('HMAC-SM3');
    expect(env.sign).toBe(createHmac('sm3', 's3cret').update(env.timestamp + env.appId + env.data).digest('hex'));
    // Known SM3 HMAC vector computed independently: HMAC-SM3("k", "abc").
    expect(envelopeSignature('k', 'HMAC-SM3', 'a', 'b', 'c')).toBe('af684d81732e81f6a9c5dd0aa68f27667b36debcebe29e094a654c3d496a898a');
  });

  it('parses result codes per record', () => {
    const profile = mk('hmac-sha256');
    const ctx = { profile, nowMs };
    const records = mapRecords(exampleRating, {}, null, profile);
    const [a, b] = records;
    expect(signedEnvelope.parse(answer({ code: '0000', msg: 'ok', data: [
      { projectNo: a!.projectNo, assessNumber: '1', resultCode: '0' },
      { projectNo: b!.projectNo, assessNumber: '1', resultCode: '2', errorCode: 'E05', resultMsg: '办件编号不存在' },
    ] }), records, ctx)).toEqual([{ kind: 'accepted' }, { kind: 'rejected', code: 'E05', reason: '办件编号不存在' }]);
    expect(signedEnvelope.parse(answer({ code: '0000', data: [{ projectNo: a!.projectNo, assessNumber: '1', resultCode: '1' }] }), records.slice(0, 1), ctx)).toEqual([{ kind: 'duplicate' }]);
  });

  it('retries on signature / time / busy codes; isolates other envelope refusals', () => {
    const profile = mk('hmac-sha256');
    const ctx = { profile, nowMs };
    const records = mapRecords(exampleRating, {}, null, profile);
    for (const code of ['1001', '1002', '5000']) expect(signedEnvelope.parse(answer({ code, msg: 'x' }), records, ctx)[0]).toMatchObject({ kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE' });
    expect(signedEnvelope.parse(answer({ code: '2001', msg: '参数错误' }), records, ctx)[0]).toMatchObject({ kind: 'retryable', isolate: true });
    expect(signedEnvelope.parse(answer({ code: '2001', msg: '参数错误' }), records.slice(0, 1), ctx)[0]).toEqual({ kind: 'rejected', code: '2001', reason: '参数错误' });
    expect(signedEnvelope.parse({ status: 200, body: 'nope' }, records, ctx)[0]).toMatchObject({ code: 'HCP_PROVINCE_BAD_ANSWER' });
    expect(signedEnvelope.parse({ status: 502, body: '' }, records, ctx)[0]).toMatchObject({ kind: 'retryable' });
  });
});
