import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { envelopeSignature, openEnvelope, sealEnvelope } from '../../src/provincial/envelope.js';
import { ProvincialSimulator } from '../../src/provincial/server.js';

const NOW = Date.UTC(2026, 10, 21, 4, 0, 0);
const creds = { appId: 'sd-hall', secret: '山东-secret', nowMs: NOW };
const rec = (projectNo: string) => ({ projectNo, assessNumber: '1', satisfaction: '5', pf: '4', assessTime: '2026-11-21 10:15:30' });

describe('envelope signature', () => {
  it('is HMAC over timestamp + appId + data, hex, for SHA-256 and SM3', () => {
    // RFC 4231 test case 2 (key "Jefe"), the message split across the three fields.
    expect(envelopeSignature('HMAC-SHA256', 'Jefe', 'what do ya ', 'want for ', 'nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    // SM3 itself against the GB/T 32905 example, then HMAC-SM3 against the HMAC construction by hand.
    expect(createHash('sm3').update('abc').digest('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    const key = Buffer.alloc(64);
    Buffer.from('k').copy(key);
    const pad = (b: number): Buffer => Buffer.from(key.map((x) => x ^ b));
    const inner = createHash('sm3').update(pad(0x36)).update('1a{}').digest();
    const byHand = createHash('sm3').update(pad(0x5c)).update(inner).digest('hex');
    expect(envelopeSignature('HMAC-SM3', 'k', '1', 'a', '{}')).toBe(byHand);
    // Moving a character between fields changes nothing only because the rule is plain concatenation: documented.
    expect(envelopeSignature('HMAC-SHA256', 'k', '1a', '', '{}')).toBe(envelopeSignature('HMAC-SHA256', 'k', '1', 'a', '{}'));
  });

  it('opens what it seals and rejects every tampering with its own code', () => {
    const env = sealEnvelope({ records: [] }, creds);
    expect(openEnvelope(env, creds)).toEqual({ ok: true, body: { records: [] } });
    expect(openEnvelope({ ...env, data: '{"records":[1]}' }, creds)).toMatchObject({ code: 'E_SIGN' });
    expect(openEnvelope({ ...env, appId: 'other' }, creds)).toMatchObject({ code: 'E_APP_ID' });
    expect(openEnvelope({ ...env, signType: 'MD5' }, creds)).toMatchObject({ code: 'E_SIGN_TYPE' });
    expect(openEnvelope(env, { ...creds, nowMs: NOW + 300_001 })).toMatchObject({ code: 'E_TIMESTAMP' });
    expect(openEnvelope({ ...env, timestamp: 'soon' }, creds)).toMatchObject({ code: 'E_TIMESTAMP' });
    expect(openEnvelope({ ...env, sign: undefined }, creds)).toMatchObject({ code: 'E_ENVELOPE' });
    expect(openEnvelope('x', creds)).toMatchObject({ code: 'E_ENVELOPE' });
    const notJson = { ...env, data: 'nope', sign: envelopeSignature('HMAC-SHA256', creds.secret, env.timestamp, env.appId, 'nope') };
    expect(openEnvelope(notJson, creds)).toMatchObject({ code: 'E_JSON' });
  });
});

describe('ProvincialSimulator, signed-envelope profile', () => {
  let dir: string;
  let prov: ProvincialSimulator;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-prov-env-'));
    prov = new ProvincialSimulator({ dataFile: join(dir, 'p.sqlite'), profile: 'signed-envelope', appId: creds.appId, appSecret: creds.secret, clock: () => NOW });
    await prov.start();
  });
  afterAll(async () => {
    await prov.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const send = async (path: string, body: unknown): Promise<{ status: number; json: { code: string; msg: string; data: unknown } }> => {
    const res = await fetch(`${prov.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { code: string; msg: string; data: unknown } };
  };

  it('accepts signed records (SHA-256 and SM3) and answers per record inside the envelope', async () => {
    const a = await send('/gateway/evaluation/push', sealEnvelope({ records: [rec('S1'), rec('S1')] }, creds));
    expect(a.status).toBe(200);
    expect(a.json.code).toBe('0');
    expect(a.json.data).toMatchObject({ summary: { accepted: 1, duplicate: 1, rejected: 0 } });
    const b = await send('/gateway/evaluation/push', sealEnvelope({ records: [rec('S2'), { ...rec('S3'), satisfaction: '1' }] }, { ...creds, signType: 'HMAC-SM3' }));
    expect(b.json.data).toMatchObject({ results: [{ status: 'accepted' }, { status: 'rejected', code: 'E_BAD_REVIEW_REASON' }] });
    expect(prov.counts().stored).toBe(2);
  });

  it('answers business errors as HTTP 200 with a code, storing nothing', async () => {
    const before = prov.counts().stored;
    const env = sealEnvelope({ records: [rec('S9')] }, creds);
    expect((await send('/gateway/evaluation/push', { ...env, sign: env.sign.replace(/^./, env.sign[0] === 'a' ? 'b' : 'a') })).json.code).toBe('E_SIGN');
    expect((await send('/gateway/evaluation/push', sealEnvelope({ records: [rec('S9')] }, { ...creds, nowMs: NOW - 400_000 }))).json.code).toBe('E_TIMESTAMP');
    const r = await send('/gateway/evaluation/push', sealEnvelope({ nope: 1 }, creds));
    expect([r.status, r.json.code]).toEqual([200, 'E_BODY']);
    expect((await send('/gateway/evaluation/push', sealEnvelope({ records: [] }, creds))).json.code).toBe('E_BATCH_SIZE');
    expect(prov.counts().stored).toBe(before);
    const raw = await fetch(`${prov.url}/gateway/evaluation/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect([raw.status, ((await raw.json()) as { code: string }).code]).toEqual([400, 'E_JSON']);
    // The generic routes do not exist in this profile.
    expect((await send('/api/v1/evaluations', { records: [rec('S9')] })).status).toBe(404);
  });

  it('serves the indicator list through a signed request', async () => {
    const r = await send('/gateway/indicator/list', sealEnvelope({}, creds));
    expect(r.json.code).toBe('0');
    expect(r.json.data).toMatchObject({ version: 'sim-2026.11' });
    expect((await send('/gateway/indicator/list', { ...sealEnvelope({}, creds), appId: 'x' })).json.code).toBe('E_APP_ID');
  });

  it('never crashes on fuzzed envelopes and signed bodies: always a coded answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.jsonValue().map((v) => sealEnvelope(v, creds))), async (body) => {
        const r = await send('/gateway/evaluation/push', body);
        // Business errors are coded 200s; only a body the JSON parser refuses (prototype-poisoning
        // keys such as __proto__) is a coded 400, as docs/provincial-generic.md says.
        const poisoned = /"(__proto__|constructor)"/.test(JSON.stringify(body));
        if (poisoned) expect([200, 400]).toContain(r.status);
        else expect(r.status).toBe(200);
        expect(typeof r.json.code).toBe('string');
      }),
      { numRuns: 100 },
    );
    expect((await send('/gateway/evaluation/push', sealEnvelope({ records: [rec('FZ-E')] }, creds))).json.code).toBe('0');
  });

  it('faults apply as real 5xx', async () => {
    prov.setFaults({ failRate: 1 });
    const r = await send('/gateway/evaluation/push', sealEnvelope({ records: [rec('S7')] }, creds));
    expect([500, 503]).toContain(r.status);
    prov.setFaults({ failRate: 0 });
  });
});
