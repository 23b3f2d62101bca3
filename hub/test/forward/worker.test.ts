import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProvincialSimulator, type ProvincialProfile } from '@hcp/simulator/provincial/server';
import type { Db } from '../../src/db/db.js';
import { adapterFor } from '../../src/forward/adapters/index.js';
import { profileFingerprint, recordTemplate, type ApplicantData } from '../../src/forward/mapping.js';
import { ForwardOutbox } from '../../src/forward/outbox.js';
import { loadProfile, type ProvinceProfile } from '../../src/forward/profile.js';
import { ForwardWorker } from '../../src/forward/worker.js';
import { idNumber, openTestDb, rating, silent, systemClock, tempDir } from './helpers.js';

const hall = { deptName: '杭州市民中心', deptCode: '11330100MB0000000X', areaCode: '330100' };

async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ForwardWorker against the provincial simulator', () => {
  let t: ReturnType<typeof tempDir>;
  let db: Db;
  let outbox: ForwardOutbox;
  let sim: ProvincialSimulator;
  let worker: ForwardWorker | null = null;
  const applicants = new Map<string, ApplicantData>();

  async function startSim(profile: ProvincialProfile = 'generic', extra: Record<string, unknown> = {}): Promise<void> {
    sim = new ProvincialSimulator({ dataFile: join(t.dir, `prov-${profile}.sqlite`), profile, appId: 'hall-1', appSecret: 's3cret', ...extra });
    await sim.start();
  }

  function profileFor(over: Record<string, unknown> = {}): ProvinceProfile {
    return loadProfile({
      name: 'test', adapter: 'generic-json', endpoint: sim.url, credentials: { appId: 'hall-1', secret: 's3cret' }, hall,
      batchSize: 20, rateLimit: { recordsPerSecond: 100_000 }, retry: { baseMs: 5, maxMs: 40, timeoutMs: 2000 }, pollIntervalMs: 20, ...over,
    });
  }

  function startWorker(profile: ProvinceProfile): ForwardWorker {
    worker = new ForwardWorker({
      outbox, profile, adapter: adapterFor(profile.adapter), clock: systemClock, random: Math.random, log: silent,
      applicants: (id) => applicants.get(id) ?? null,
    });
    worker.start();
    return worker;
  }

  beforeEach(async () => {
    t = tempDir();
    db = await openTestDb(t.dir);
    outbox = new ForwardOutbox(db);
  });
  afterEach(async () => {
    await worker?.stop();
    worker = null;
    await sim?.stop();
    db.close();
    t.cleanup();
  });

  it('delivers a batch rating as one record per case, with applicant data decrypted only for the request', async () => {
    await startSim();
    applicants.set('s-1', { name: '张三', idType: '111', idNumber: idNumber(1), userType: 'person' });
    outbox.enqueue(rating({ cases: ['B-1', 'B-2', 'B-3'], sessionId: 's-1', level: 2, indicators: ['501'] }), { itemName: '食品经营许可', staffName: '王晓燕', caseStatus: 'completed' }, Date.now());
    startWorker(profileFor());
    await until(() => outbox.stats(Date.now()).backlog === 0);
    expect(sim.counts()).toMatchObject({ stored: 3 });
    const rec = sim.record('B-2', '1')!;
    expect(rec.record).toMatchObject({ projectNo: 'B-2', satisfaction: '2', evalDetail: '501', pf: '5', userName: '张三', certKey: idNumber(1), proDepart: '杭州市民中心', proManager: '王晓燕' });
    // personal data is not in the hub's outbox tables
    const dump = JSON.stringify([db.prepare('SELECT * FROM forward_outbox').all(), db.prepare('SELECT * FROM forward_payloads').all()]);
    expect(dump).not.toContain('张三');
    expect(dump).not.toContain(idNumber(1));
  });

  it('ends every record accepted exactly once through errors, lost answers, drops, forced duplicates and latency', async () => {
    // the simulator's PRNG is seeded: the same faults every run
    await startSim('generic', { faults: { failRate: 0.2, failAfterStoreRate: 0.15, dropRate: 0.2, dropWhen: 'either', duplicateRate: 0.1, latencyMs: 1, jitterMs: 5 } });
    const cases: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = rating({ cases: i % 10 === 0 ? [`M-${i}-a`, `M-${i}-b`, `M-${i}-c`] : [`M-${i}`] });
      cases.push(...r.caseNumbers);
      outbox.enqueue(r, {}, Date.now());
    }
    startWorker(profileFor({ batchSize: 5 }));
    await until(() => outbox.stats(Date.now()).backlog === 0);
    const c = sim.counts();
    expect(c.requests.failed).toBeGreaterThan(0);
    expect(c.requests.failedAfterStore).toBeGreaterThan(0);
    expect(c.requests.droppedBeforeStore + c.requests.droppedAfterStore).toBeGreaterThan(0);
    expect(c.forcedDuplicateAnswers).toBeGreaterThan(0);
    expect(c.requests.failed + c.requests.failedAfterStore + c.requests.droppedBeforeStore + c.requests.droppedAfterStore).toBeGreaterThan(0);
    expect(c.stored).toBe(cases.length);
    expect(outbox.stats(Date.now())).toMatchObject({ delivered: cases.length, deadOpen: 0 });
    const delivered = db.prepare("SELECT count(*) AS n FROM forward_outbox WHERE state = 'delivered'").get() as { n: number };
    expect(delivered.n).toBe(cases.length);
  });

  it('sits out an outage (hang, reset, refuse) with timeouts and backoff, then delivers everything', async () => {
    await startSim();
    for (let i = 0; i < 30; i++) outbox.enqueue(rating({ cases: [`O-${i}`] }), {}, Date.now());
    sim.startOutage(1.5, 'hang');
    const w = startWorker(profileFor({ batchSize: 10, retry: { baseMs: 50, maxMs: 200, timeoutMs: 300 } }));
    await until(() => w.status.lastError !== null);
    expect(outbox.stats(Date.now()).backlog).toBe(30);
    await until(() => outbox.stats(Date.now()).backlog === 0);
    sim.startOutage(0.5, 'reset');
    for (let i = 0; i < 10; i++) outbox.enqueue(rating({ cases: [`R-${i}`] }), {}, Date.now());
    await until(() => outbox.stats(Date.now()).backlog === 0);
    sim.startOutage(0.5, 'refuse');
    for (let i = 0; i < 10; i++) outbox.enqueue(rating({ cases: [`F-${i}`] }), {}, Date.now());
    await until(() => outbox.stats(Date.now()).backlog === 0);
    expect(sim.counts().stored).toBe(50);
    expect(sim.counts().requests.outage).toBeGreaterThan(0);
  });

  it('dead-letters permanent rejections with the province reason; an operator corrects and retries', async () => {
    await startSim();
    outbox.enqueue(rating({ cases: ['D-ok'] }), {}, Date.now());
    outbox.enqueue(rating({ cases: ['D-bad'], level: 1, indicators: ['999'] }), {}, Date.now());
    outbox.enqueue(rating({ cases: ['D-local'], level: 1, indicators: [] }), {}, Date.now());
    startWorker(profileFor());
    await until(() => outbox.stats(Date.now()).backlog === 0);
    const dead = outbox.deadLetters({ state: 'open' });
    expect(dead.map((d) => [d.projectNo, d.code]).sort()).toEqual([['D-bad', 'E_INDICATOR_UNKNOWN'], ['D-local', 'HCP_BAD_REVIEW_NEEDS_REASON']]);
    expect(dead.find((d) => d.projectNo === 'D-bad')!.reason).toMatch(/\S/);
    const audit = { record: (): void => undefined };
    outbox.retryDead(dead.find((d) => d.projectNo === 'D-bad')!.id, 'user:op', audit, Date.now(), { evalDetail: '501' });
    outbox.discardDead(dead.find((d) => d.projectNo === 'D-local')!.id, 'user:op', audit, Date.now(), '群众未说明原因');
    worker!.wake();
    await until(() => outbox.stats(Date.now()).backlog === 0 && outbox.stats(Date.now()).delivered === 2);
    expect(sim.record('D-bad', '1')!.record).toMatchObject({ evalDetail: '501' });
    expect(sim.counts().stored).toBe(2);
  });

  it('sends templates made at enqueue time, and maps again when the profile changed since', async () => {
    await startSim();
    const before = profileFor({ codes: { dataSource: '111' } });
    const now = loadProfile({ ...before, codes: { ...before.codes, dataSource: '222' } });
    const a = rating({ cases: ['T-1'] });
    outbox.enqueue(a, { staffName: '王晓燕' }, Date.now(), { template: recordTemplate(a, { staffName: '王晓燕' }, now), fingerprint: profileFingerprint(now) });
    const b = rating({ cases: ['T-2'] });
    outbox.enqueue(b, { staffName: '王晓燕' }, Date.now(), { template: recordTemplate(b, { staffName: '王晓燕' }, before), fingerprint: profileFingerprint(before) });
    startWorker(now);
    await until(() => outbox.stats(Date.now()).backlog === 0);
    expect(sim.record('T-1', '1')!.record).toMatchObject({ dataSource: '222', proManager: '王晓燕' });
    expect(sim.record('T-2', '1')!.record).toMatchObject({ dataSource: '222', proManager: '王晓燕' });
  });

  it('isolates a batch the province refuses as a whole, so only the bad record is dead', async () => {
    await startSim('generic', { maxBatch: 5 });
    for (let i = 0; i < 8; i++) outbox.enqueue(rating({ cases: [`I-${i}`] }), {}, Date.now());
    startWorker(profileFor({ batchSize: 8 }));
    await until(() => outbox.stats(Date.now()).backlog === 0);
    expect(sim.counts().stored).toBe(8);
    expect(outbox.stats(Date.now()).deadOpen).toBe(0);
  });

  it('gives up after maxAttempts with the last reason as the dead letter', async () => {
    await startSim();
    sim.startOutage(60, 'refuse');
    outbox.enqueue(rating({ cases: ['G-1'] }), {}, Date.now());
    startWorker(profileFor({ retry: { baseMs: 5, maxMs: 10, maxAttempts: 3, timeoutMs: 1000 } }));
    await until(() => outbox.stats(Date.now()).deadOpen === 1);
    expect(outbox.deadLetters()[0]).toMatchObject({ code: 'HCP_PROVINCE_UNAVAILABLE', attempts: 3 });
    expect(outbox.deadLetters()[0]!.reason).toMatch(/gave up after 3 attempts: HTTP 503/);
  });

  it('speaks the signed envelope (HMAC-SM3); a wrong secret keeps records queued and visible', async () => {
    await startSim('signed-envelope');
    for (let i = 0; i < 5; i++) outbox.enqueue(rating({ cases: [`S-${i}`] }), {}, Date.now());
    const wrong = startWorker(profileFor({ adapter: 'signed-envelope', signature: 'hmac-sm3', credentials: { appId: 'hall-1', secret: 'nope' } }));
    await until(() => wrong.status.lastError !== null);
    expect(wrong.status.lastError!.reason).toMatch(/E_SIGN/);
    await wrong.stop();
    expect(outbox.stats(Date.now())).toMatchObject({ backlog: 5, deadOpen: 0 });
    startWorker(profileFor({ adapter: 'signed-envelope', signature: 'hmac-sm3' }));
    await until(() => outbox.stats(Date.now()).backlog === 0);
    expect(sim.counts().stored).toBe(5);
  });

  it('paces requests by the rate limit (virtual clock and sleep)', async () => {
    await startSim();
    for (let i = 0; i < 40; i++) outbox.enqueue(rating({ cases: [`P-${i}`] }), {}, Date.now());
    let virtual = Date.now();
    const clock = { now: () => virtual };
    const sends: number[] = [];
    // one lane: the fake sleep advances one shared virtual clock, which only models a single sleeper
    const profile = profileFor({ batchSize: 10, concurrency: 1, rateLimit: { recordsPerSecond: 100 } });
    worker = new ForwardWorker({
      outbox, profile, adapter: adapterFor(profile.adapter), clock, random: () => 0.5, log: silent, applicants: () => null,
      sleep: async (ms) => { virtual += ms; await new Promise((r) => setImmediate(r)); },
      fetch: (url, init) => { sends.push(virtual); return fetch(url, init); },
    });
    worker.start();
    await until(() => outbox.stats(virtual).backlog === 0);
    // 10 records per request at 100 records/s: requests start at least 100 ms (virtual) apart.
    expect(sends).toHaveLength(4);
    for (let i = 1; i < sends.length; i++) expect(sends[i]! - sends[i - 1]!).toBeGreaterThanOrEqual(100);
    expect(sim.counts().stored).toBe(40);
  });

  it('holds every request while the province fails as a whole, backing off, instead of walking the backlog', async () => {
    await startSim();
    for (let i = 0; i < 100; i++) outbox.enqueue(rating({ cases: [`H-${i}`] }), {}, Date.now());
    let virtual = Date.now();
    const clock = { now: () => virtual };
    const sends: number[] = [];
    const profile = profileFor({ batchSize: 10, concurrency: 1, retry: { baseMs: 100, maxMs: 1000, timeoutMs: 2000 }, pollIntervalMs: 10_000 });
    worker = new ForwardWorker({
      outbox, profile, adapter: adapterFor(profile.adapter), clock, random: () => 0.5, log: silent, applicants: () => null,
      sleep: async (ms) => { virtual += ms; await new Promise((r) => setImmediate(r)); },
      // the first five requests meet a province that answers 503
      fetch: (url, init) => {
        sends.push(virtual);
        return sends.length <= 5 ? Promise.resolve({ status: 503, text: () => Promise.resolve('{"code":"E_UNAVAILABLE"}') }) : fetch(url, init);
      },
    });
    worker.start();
    await until(() => outbox.stats(virtual).backlog === 0);
    // equal jitter with random 0.5 waits 3/4 of min(1000, 100·2^(k-1)) after the k-th failure in a row
    const gaps = sends.slice(1, 6).map((t, i) => t - sends[i]!);
    expect(gaps).toEqual([75, 150, 300, 600, 750]);
    // one batch per failed request was touched; the rest of the backlog waited untouched
    const tried = db.prepare('SELECT count(*) FROM forward_outbox WHERE attempts > 1').pluck().get();
    expect(tried).toBe(50);
    expect(sends).toHaveLength(15);
    expect(sim.counts().stored).toBe(100);
  });
});
