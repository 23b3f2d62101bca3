import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProvincialSimulator, type ProvincialOptions } from '../../src/provincial/server.js';

const NOW = Date.UTC(2026, 10, 21, 4, 0, 0); // 2026-11-21 12:00:00 China time
const AUTH = { 'x-app-id': 'hcp-hall', 'x-app-secret': 'hcp-secret' };

export function record(projectNo: string, patch: Record<string, string> = {}): Record<string, string> {
  return { projectNo, assessNumber: '1', satisfaction: '5', pf: '5', assessTime: '2026-11-21 10:15:30', ...patch };
}

interface Ctx {
  dir: string;
  now: number;
  prov: ProvincialSimulator;
}

async function makeSim(t: Ctx, extra: Partial<ProvincialOptions> = {}): Promise<ProvincialSimulator> {
  const prov = new ProvincialSimulator({ dataFile: join(t.dir, 'prov.sqlite'), clock: () => t.now, ...extra });
  await prov.start();
  return prov;
}

async function post(url: string, body: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

describe('ProvincialSimulator, generic profile', () => {
  const t = {} as Ctx;
  beforeEach(async () => {
    t.dir = mkdtempSync(join(tmpdir(), 'hcp-prov-'));
    t.now = NOW;
    t.prov = await makeSim(t);
  });
  afterEach(async () => {
    await t.prov.stop();
    rmSync(t.dir, { recursive: true, force: true });
  });
  const evals = (): string => `${t.prov.url}/api/v1/evaluations`;

  it('accepts a batch, answers per record in order, and counts', async () => {
    const r = await post(evals(), {
      records: [record('P1'), record('P2', { satisfaction: '2' }), record('P3', { satisfaction: '1', evalDetail: '501' }), record('P1')],
    });
    expect(r.status).toBe(200);
    expect(r.json.code).toBe('0');
    expect(r.json.summary).toEqual({ accepted: 2, duplicate: 1, rejected: 1 });
    expect(r.json.results).toEqual([
      { index: 0, projectNo: 'P1', assessNumber: '1', status: 'accepted' },
      { index: 1, projectNo: 'P2', assessNumber: '1', status: 'rejected', code: 'E_BAD_REVIEW_REASON', reason: '差评须填写评价指标或文字评价' },
      { index: 2, projectNo: 'P3', assessNumber: '1', status: 'accepted' },
      { index: 3, projectNo: 'P1', assessNumber: '1', status: 'duplicate' },
    ]);
    const c = t.prov.counts();
    expect(c.stored).toBe(2);
    expect(c.answers).toEqual({ accepted: 2, duplicate: 1, rejected: 1 });
    expect(c.rejectedByCode).toEqual({ E_BAD_REVIEW_REASON: 1 });
    expect(c.duplicateKeys).toBe(1);
    expect(c.requests.evaluations).toBe(1);
  });

  it('answers a repeated (projectNo, assessNumber) duplicate and keeps the first copy only', async () => {
    await post(evals(), { records: [record('P9', { satisfaction: '4' })] });
    const again = await post(evals(), { records: [record('P9', { satisfaction: '3' }), record('P9', { assessNumber: '2' })] });
    expect((again.json.results as { status: string }[]).map((x) => x.status)).toEqual(['duplicate', 'accepted']);
    const third = await post(evals(), { records: [record('P9', { assessNumber: '2' })] });
    expect((third.json.results as { status: string }[])[0]?.status).toBe('duplicate');
    expect(t.prov.records({ projectNo: 'P9' }).map((x) => [x.assessNumber, x.satisfaction, x.duplicateAnswers])).toEqual([
      ['1', '4', 1],
      ['2', '5', 1],
    ]);
    expect(t.prov.counts().stored).toBe(2);
    const audit = await fetch(`${t.prov.url}/sim/records/P9/1`);
    expect(((await audit.json()) as { record: { satisfaction: string } }).record.satisfaction).toBe('4');
  });

  it('rejects a follow-up rating without a first rating, but not when the first comes earlier in the batch', async () => {
    const r = await post(evals(), { records: [record('F1', { assessNumber: '2' }), record('F2'), record('F2', { assessNumber: '2' })] });
    expect((r.json.results as { status: string; code?: string }[]).map((x) => x.code ?? x.status)).toEqual(['E_NO_FIRST_RATING', 'accepted', 'accepted']);
  });

  it('validates before the duplicate check: an invalid copy of a stored key is rejected', async () => {
    await post(evals(), { records: [record('V1')] });
    const r = await post(evals(), { records: [record('V1', { pf: '9' })] });
    expect((r.json.results as { code?: string }[])[0]?.code).toBe('E_PF');
  });

  it('answers whole-request errors with coded 4xx and stores nothing', async () => {
    const cases: [unknown, Record<string, string> | undefined, number, string][] = [
      [{ records: [record('A1')] }, {}, 401, 'E_AUTH'],
      [{ records: [record('A1')] }, { 'x-app-id': 'hcp-hall', 'x-app-secret': 'wrong' }, 401, 'E_AUTH'],
      ['{"records": [', undefined, 400, 'E_JSON'],
      [[record('A1')], undefined, 400, 'E_BODY'],
      [{ records: [] }, undefined, 400, 'E_BATCH_SIZE'],
      [{ records: 'x' }, undefined, 400, 'E_BODY'],
      [{ records: [record('A1')], extra: 1 }, undefined, 400, 'E_BODY'],
    ];
    for (const [body, headers, status, code] of cases) {
      const r = await post(evals(), body, headers ?? AUTH);
      expect([status, r.json.code]).toEqual([status, code]);
      expect(r.status).toBe(status);
    }
    const media = await fetch(evals(), { method: 'POST', headers: { ...AUTH, 'content-type': 'application/xml' }, body: '<a/>' });
    expect([media.status, ((await media.json()) as { code: string }).code]).toEqual([415, 'E_MEDIA_TYPE']);
    const missing = await fetch(`${t.prov.url}/api/v1/nothing`);
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([404, 'E_NOT_FOUND']);
    expect(t.prov.counts().stored).toBe(0);
    expect(t.prov.counts().requests.authFailed).toBe(2);
  });

  it('limits batch size and body size', async () => {
    await t.prov.stop();
    t.prov = await makeSim(t, { maxBatch: 2, bodyLimit: 2000 });
    const three = await post(evals(), { records: [record('B1'), record('B2'), record('B3')] });
    expect([three.status, three.json.code]).toEqual([400, 'E_BATCH_SIZE']);
    const big = await post(evals(), { records: [record('B1', { writingEvaluation: 'x'.repeat(3000) })] });
    expect([big.status, big.json.code]).toEqual([413, 'E_TOO_LARGE']);
  });

  it('serves a versioned indicator list with an ETag, and validates codes against the current version', async () => {
    const res = await fetch(`${t.prov.url}/api/v1/indicators`, { headers: AUTH });
    const list = (await res.json()) as { version: string; items: { code: string; name: string; group: string }[] };
    expect(list.version).toBe('sim-2026.11');
    expect(list.items.map((i) => i.code)).toContain('501');
    expect(res.headers.get('etag')).toBe('"sim-2026.11"');
    const again = await fetch(`${t.prov.url}/api/v1/indicators`, { headers: { ...AUTH, 'if-none-match': '"sim-2026.11"' } });
    expect(again.status).toBe(304);
    expect((await fetch(`${t.prov.url}/api/v1/indicators`)).status).toBe(401);

    const next = { version: 'v2', items: [{ code: '901', name: '新指标', group: '服务态度' }] };
    const put = await fetch(`${t.prov.url}/sim/indicators`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) });
    expect(put.status).toBe(200);
    const dup = await fetch(`${t.prov.url}/sim/indicators`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) });
    expect(dup.status).toBe(409);
    const r = await post(evals(), { records: [record('I1', { satisfaction: '2', evalDetail: '501' }), record('I2', { satisfaction: '2', evalDetail: '901' })] });
    expect((r.json.results as { status: string; code?: string }[]).map((x) => x.code ?? x.status)).toEqual(['E_INDICATOR_UNKNOWN', 'accepted']);
    expect(t.prov.counts().indicatorVersion).toBe('v2');
  });

  it('keeps records and counters across a restart on the same file', async () => {
    await post(evals(), { records: [record('R1'), record('R2', { pf: '0' })] });
    const before = t.prov.counts();
    await t.prov.stop();
    t.prov = await makeSim(t);
    expect(t.prov.counts()).toEqual(before);
    const r = await post(evals(), { records: [record('R1')] });
    expect((r.json.results as { status: string }[])[0]?.status).toBe('duplicate');
  });

  it('refuses a second start()', async () => {
    await expect(t.prov.start()).rejects.toThrow(/already started/);
  });

  it('reset clears records and counters', async () => {
    await post(evals(), { records: [record('Z1')] });
    const res = await fetch(`${t.prov.url}/sim/reset`, { method: 'POST' });
    expect(((await res.json()) as { stored: number }).stored).toBe(0);
    expect(t.prov.counts().requests.total).toBe(0);
  });

  it('never crashes on fuzzed bodies: every answer is coded, and it keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ records: fc.array(fc.jsonValue(), { maxLength: 5 }) })), async (body) => {
        const r = await post(evals(), body);
        expect([200, 400]).toContain(r.status);
        expect(typeof r.json.code).toBe('string');
        if (r.status === 200) {
          for (const x of r.json.results as { status: string; code?: string }[]) {
            expect(x.status === 'rejected' ? typeof x.code : 'string').toBe('string');
          }
        }
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        const res = await fetch(evals(), { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: text });
        const json = (await res.json()) as { code: string };
        expect(res.status === 200 || res.status === 400).toBe(true);
        expect(typeof json.code).toBe('string');
      }),
      { numRuns: 150 },
    );
    const ok = await post(evals(), { records: [record('FZ-OK')] });
    expect((ok.json.results as { status: string }[])[0]?.status).toBe('accepted');
  });
});

describe('ProvincialSimulator faults', () => {
  const t = {} as Ctx;
  beforeEach(async () => {
    t.dir = mkdtempSync(join(tmpdir(), 'hcp-prov-'));
    t.now = NOW;
    t.prov = await makeSim(t);
  });
  afterEach(async () => {
    await t.prov.stop();
    rmSync(t.dir, { recursive: true, force: true });
  });
  const evals = (): string => `${t.prov.url}/api/v1/evaluations`;
  const statuses = (r: { json: Record<string, unknown> }): string[] => (r.json.results as { status: string }[]).map((x) => x.status);

  it('fail rate: 500/503 before storing anything', async () => {
    t.prov.setFaults({ failRate: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const r = await post(evals(), { records: [record('FR1')] });
      seen.add(r.status);
      expect(['E_SERVER', 'E_UNAVAILABLE']).toContain(r.json.code);
    }
    expect([...seen].sort()).toEqual([500, 503]);
    expect(t.prov.counts().stored).toBe(0);
    expect(t.prov.counts().requests.failed).toBe(12);
    t.prov.setFaults({ failRate: 0 });
    expect(statuses(await post(evals(), { records: [record('FR1')] }))).toEqual(['accepted']);
  });

  it('fail after store: 504, stored, and the retry answers duplicate', async () => {
    t.prov.setFaults({ failAfterStoreRate: 1 });
    const r = await post(evals(), { records: [record('FA1')] });
    expect([r.status, r.json.code]).toEqual([504, 'E_GATEWAY_TIMEOUT']);
    expect(t.prov.counts().stored).toBe(1);
    t.prov.setFaults({ failAfterStoreRate: 0 });
    expect(statuses(await post(evals(), { records: [record('FA1')] }))).toEqual(['duplicate']);
    expect(t.prov.counts()).toMatchObject({ stored: 1, requests: { failedAfterStore: 1 } });
  });

  it('dropped connection before store: no answer, nothing stored', async () => {
    t.prov.setFaults({ dropRate: 1, dropWhen: 'before-store' });
    await expect(post(evals(), { records: [record('D1')] })).rejects.toThrow();
    expect(t.prov.counts()).toMatchObject({ stored: 0, requests: { droppedBeforeStore: 1 } });
  });

  it('dropped connection after store: no answer, stored once, retry answers duplicate', async () => {
    t.prov.setFaults({ dropRate: 1, dropWhen: 'after-store' });
    await expect(post(evals(), { records: [record('D2'), record('D3')] })).rejects.toThrow();
    expect(t.prov.counts()).toMatchObject({ stored: 2, requests: { droppedAfterStore: 1 } });
    t.prov.setFaults({ dropRate: 0 });
    expect(statuses(await post(evals(), { records: [record('D2'), record('D3')] }))).toEqual(['duplicate', 'duplicate']);
    expect(t.prov.counts().stored).toBe(2);
  });

  it('drop "either" cuts some requests before and some after storing', async () => {
    t.prov.setFaults({ dropRate: 1, dropWhen: 'either' });
    for (let i = 0; i < 16; i++) await expect(post(evals(), { records: [record(`E${i}`)] })).rejects.toThrow();
    const c = t.prov.counts();
    expect(c.requests.droppedBeforeStore).toBeGreaterThan(0);
    expect(c.requests.droppedAfterStore).toBeGreaterThan(0);
    expect(c.stored).toBe(c.requests.droppedAfterStore);
  });

  it('duplicate answers for fresh records: stored, answered duplicate, counted as forced', async () => {
    t.prov.setFaults({ duplicateRate: 1 });
    expect(statuses(await post(evals(), { records: [record('DU1'), record('DU2')] }))).toEqual(['duplicate', 'duplicate']);
    expect(t.prov.counts()).toMatchObject({ stored: 2, forcedDuplicateAnswers: 2, answers: { duplicate: 2, accepted: 0 } });
  });

  it('latency: the answer says how long it waited, and the request is counted as delayed', async () => {
    t.prov.setFaults({ latencyMs: 5, jitterMs: 0 });
    const r = await post(evals(), { records: [record('L1')] });
    expect(r.headers.get('x-sim-latency-ms')).toBe('5');
    expect(t.prov.counts().requests.delayed).toBe(1);
  });

  it('outage after N requests, for S seconds on the simulator clock (refuse)', async () => {
    t.prov.setFaults({ outageAfter: 2, outageForS: 10, outageMode: 'refuse' });
    expect((await post(evals(), { records: [record('O1')] })).status).toBe(200);
    expect((await post(evals(), { records: [record('O2')] })).status).toBe(200);
    const refused = await post(evals(), { records: [record('O3')] });
    expect([refused.status, refused.json.code, refused.headers.get('retry-after')]).toEqual([503, 'E_UNAVAILABLE', '10']);
    t.now += 9_000;
    expect((await post(evals(), { records: [record('O3')] })).status).toBe(503);
    t.now += 1_000;
    expect((await post(evals(), { records: [record('O3')] })).status).toBe(200);
    expect((await post(evals(), { records: [record('O4')] })).status).toBe(200);
    expect(t.prov.counts()).toMatchObject({ stored: 4, requests: { outage: 2 } });
    expect(t.prov.faults().outage.kind).toBe('over');
  });

  it('outage reset mode cuts the connection', async () => {
    t.prov.startOutage(30, 'reset');
    await expect(post(evals(), { records: [record('OR1')] })).rejects.toThrow();
    expect(t.prov.counts()).toMatchObject({ stored: 0, requests: { outage: 1 } });
  });

  it('outage hang mode holds the request until the outage ends, then cuts it', async () => {
    const res = await fetch(`${t.prov.url}/sim/outage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"forSeconds":60,"mode":"hang"}' });
    expect(((await res.json()) as { outage: { kind: string } }).outage.kind).toBe('active');
    const pending = post(evals(), { records: [record('OH1')] });
    const failed = expect(pending).rejects.toThrow();
    while (t.prov.counts().requests.outage < 1) await new Promise((r) => setImmediate(r));
    await fetch(`${t.prov.url}/sim/outage`, { method: 'DELETE' });
    await failed;
    expect(t.prov.counts().stored).toBe(0);
    expect((await post(evals(), { records: [record('OH1')] })).status).toBe(200);
  });

  it('stop() cuts a request held by a hang outage instead of waiting for it', async () => {
    t.prov.startOutage(600, 'hang');
    const failed = expect(post(evals(), { records: [record('OS1')] })).rejects.toThrow();
    while (t.prov.counts().requests.outage < 1) await new Promise((r) => setImmediate(r));
    await t.prov.stop();
    await failed;
    t.prov = await makeSim(t);
    expect(t.prov.counts().stored).toBe(0);
  });

  it('the /sim control routes validate fault settings and are never faulted', async () => {
    const bad = await fetch(`${t.prov.url}/sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"failRate":2,"nope":1}' });
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([400, 'E_BODY']);
    const good = await fetch(`${t.prov.url}/sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"failRate":1}' });
    expect(((await good.json()) as { settings: { failRate: number } }).settings.failRate).toBe(1);
    expect((await fetch(`${t.prov.url}/sim/counts`)).status).toBe(200);
    expect(() => t.prov.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
  });
});
