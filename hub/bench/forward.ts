/**
 * Forwarding benchmark (issue 6).
 *
 * 1. Throughput with batch sizes 1, 50, 500: the real delivery worker (SQLite outbox, mapping,
 *    adapter, HTTP, outcome commits) against the provincial simulator running in its own process,
 *    printed beside the simulator's bare accept rate measured in the same run (a client that only
 *    POSTs pre-built batches, with as many requests in flight as the worker's lanes, through the
 *    same HTTP client). Target: ≥ 0.8× at 500. Five bare/forward pairs per batch size, the order
 *    alternating; medians, the spread of the per-pair ratios, CPU per record of each side, and the
 *    cores other processes kept busy (the bench machine is shared) are printed.
 * 2. Time to drain a 200,000-record backlog after an outage (the simulator refuses for a few
 *    seconds, then recovers). Target: < 2 minutes; printed beside the bare time for the same count.
 *
 * Run: `npm run bench -w hub` (runner), or alone: `npx tsc -b simulator hub && node hub/bench/ts-run.mjs hub/bench/forward.ts`.
 * Options (env): BENCH_QUICK=1 for a short smoke run; BENCH_CONCURRENCY=N requests in flight (default: the profile default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomFillSync } from 'node:crypto';
import pino from 'pino';
import { uuidv7 } from '@hcp/protocol';
import { migrate, openDb, type Db } from '../src/db/db.js';
import { adapterFor } from '../src/forward/adapters/index.js';
import { buildRequest, type HttpRequest } from '../src/forward/adapter.js';
import { mapRecords, profileFingerprint, recordTemplate, type CaseContext, type ForwardSource } from '../src/forward/mapping.js';
import { ForwardOutbox } from '../src/forward/outbox.js';
import { nodeHttpTransport } from '../src/forward/http.js';
import { loadProfile, type ProvinceProfile } from '../src/forward/profile.js';
import { ForwardWorker } from '../src/forward/worker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIM_CLI = join(ROOT, 'simulator/bin/hcp-sim.js');
const QUICK = (): boolean => process.env['BENCH_QUICK'] === '1';
const log = pino({ level: 'silent' });
const CONTEXT: CaseContext = {
  itemCode: '330100-000-XK-001', itemName: '食品经营许可', caseStatus: 'completed', promiseKind: 'immediate', staffName: '王晓燕',
};

export interface ForwardBenchResult {
  readonly throughput: { batch: number; records: number; bareRps: number; forwardRps: number; ratio: number; pairMin: number; pairMax: number }[];
  readonly drain: { records: number; outageS: number; drainS: number; bareS: number; ratio: number; targetS: number; otherCores: number };
}

export interface Sim {
  url: string;
  child: ChildProcess;
}

export async function startSim(dir: string): Promise<Sim> {
  if (!existsSync(join(ROOT, 'simulator/dist/cli/main.js'))) throw new Error('build the simulator first: npx tsc -b simulator');
  const child = spawn(process.execPath, [SIM_CLI, 'provincial', '--port', '0', '--data', join(dir, 'prov.sqlite'), '--quiet', '--app-id', 'hall-1', '--app-secret', 's3cret', '--max-batch', '1000'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  child.stdout!.resume();
  return { url, child };
}

/** CPU ms used so far by a process (utime + stime from /proc; Linux). */
function procCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return NaN;
  }
}
const selfCpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** CPU ms all processes on the machine have used so far (busy time of every core, /proc/stat). */
function machineCpuMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy
    return ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 1000) / 100;
  } catch {
    return NaN;
  }
}
/**
 * CPU µs per record of this process and of the simulator over a measured section, and how many
 * cores other processes kept busy meanwhile: the machine is shared, and when the two processes
 * measured here cannot each have a core, forwarding becomes bound by CPU per record (worker +
 * simulator) rather than by the simulator alone.
 */
export const cpu = { hub: 0, sim: 0, otherCores: 0 };
/** Event-loop utilisation of the last forward run: near 100% means the worker was CPU-bound. */
let lastElu = 0;
async function measured<T>(s: Sim, records: number, fn: () => Promise<T>): Promise<T> {
  const h0 = selfCpuMs();
  const s0 = procCpuMs(s.child.pid!);
  const m0 = machineCpuMs();
  const t0 = performance.now();
  const r = await fn();
  const hub = selfCpuMs() - h0;
  const sim = procCpuMs(s.child.pid!) - s0;
  cpu.hub = (hub * 1000) / records;
  cpu.sim = (sim * 1000) / records;
  cpu.otherCores = Math.max(0, machineCpuMs() - m0 - hub - sim) / (performance.now() - t0);
  return r;
}

async function sim(s: Sim, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${s.url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, ...(body ? { body: JSON.stringify(body) } : {}) });
  return res.json();
}
const stored = async (s: Sim): Promise<number> => ((await sim(s, 'GET', '/sim/counts')) as { stored: number }).stored;

let caseSeq = 0;
let runSeq = 0;
function source(nowMs: number): ForwardSource {
  const n = ++caseSeq;
  return {
    id: uuidv7(nowMs, (b) => randomFillSync(b)), caseNumbers: [`330100-2026-${String(n).padStart(9, '0')}`], level: n % 9 === 0 ? 2 : 5,
    indicators: n % 9 === 0 ? ['501'] : [], channel: 5, assessNumber: 1, origin: 'session', flags: [], givenAt: new Date(nowMs).toISOString(),
    indicatorVersion: 'sim-2026.11', sessionId: null, staffId: 'staff-007', itemCode: '330100-000-XK-001', hallId: 'hall-1', windowId: 'w-01',
  };
}

function profileFor(url: string, batchSize: number, over: Record<string, unknown> = {}): ProvinceProfile {
  return loadProfile({
    name: 'bench', adapter: 'generic-json', endpoint: url, credentials: { appId: 'hall-1', secret: 's3cret' },
    hall: { deptName: '杭州市民中心', deptCode: '11330100MB0000000X', areaCode: '330100' },
    batchSize, rateLimit: { recordsPerSecond: 1_000_000 }, retry: { baseMs: 100, maxMs: 1000, timeoutMs: 30_000 }, pollIntervalMs: 20,
    ...(process.env['BENCH_CONCURRENCY'] ? { concurrency: Number(process.env['BENCH_CONCURRENCY']) } : {}), ...over,
  });
}

/** The layer below: POST pre-built batches one after another, nothing else. */
export async function bare(s: Sim, batch: number, records: number): Promise<number> {
  await sim(s, 'POST', '/sim/reset');
  const profile = profileFor(s.url, batch);
  const adapter = adapterFor('generic-json');
  const now = Date.now();
  const reqs: HttpRequest[] = [];
  for (let i = 0; i < records; i += batch) {
    const recs = [];
    for (let j = i; j < Math.min(records, i + batch); j++) recs.push(...mapRecords(source(now), CONTEXT, null, profile));
    reqs.push(buildRequest(adapter, recs, { profile, nowMs: now }));
  }
  let next = 0;
  // the same HTTP client as the worker, so the ratio is about forwarding, not the client library
  const http = nodeHttpTransport();
  const lane = async (): Promise<void> => {
    while (next < reqs.length) {
      const r = reqs[next++]!;
      const res = await http(r.url, { method: 'POST', headers: { ...r.headers }, body: r.body, signal: AbortSignal.timeout(60_000) });
      await res.text();
    }
  };
  const t0 = performance.now();
  await measured(s, records, () => Promise.all(Array.from({ length: profile.concurrency }, lane)));
  const s1 = performance.now() - t0;
  http.close();
  if ((await stored(s)) !== records) throw new Error('bare run: simulator did not store every record');
  return records / (s1 / 1000);
}

/** Queues records as the hub's ingest hook does (with the record template made at enqueue). */
function fill(db: Db, records: number, profile: ProvinceProfile): void {
  const outbox = new ForwardOutbox(db);
  const now = Date.now();
  const fingerprint = profileFingerprint(profile);
  db.transaction(() => {
    for (let i = 0; i < records; i++) {
      const src = source(now);
      outbox.enqueue(src, CONTEXT, now, { template: recordTemplate(src, CONTEXT, profile), fingerprint });
    }
  })();
}

/**
 * "Anything left?" through the open-row index: the drain run asks it every 50 ms in the measured
 * process, so it must not scan the table (a scan for state over the delivered rows cost the worker
 * ~8 µs per record here before).
 */
const OPEN_ROW = 'SELECT 1 FROM forward_outbox WHERE due_ms IS NOT NULL LIMIT 1';

/** Until the worker has recorded `records` deliveries (its outcome callback: no polling lag in the measured time). */
async function drain(worker: ForwardWorker, delivered: Promise<void>): Promise<void> {
  worker.start();
  await delivered;
  await worker.stop();
}

export async function forward(s: Sim, dir: string, batch: number, records: number): Promise<number> {
  await sim(s, 'POST', '/sim/reset');
  const db = openDb(join(dir, `hub-${batch}-${++runSeq}.sqlite`));
  await migrate(db);
  const profile = profileFor(s.url, batch);
  fill(db, records, profile);
  let done = 0;
  let allDelivered = (): void => undefined;
  const delivered = new Promise<void>((resolve) => { allDelivered = resolve; });
  const worker = new ForwardWorker({
    outbox: new ForwardOutbox(db), profile, adapter: adapterFor(profile.adapter), applicants: () => null,
    clock: { now: () => Date.now() }, random: Math.random, log,
    onOutcome: (kind, _code, n) => {
      if (kind === 'delivered' && (done += n) >= records) allDelivered();
    },
  });
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await measured(s, records, () => drain(worker, delivered));
  lastElu = performance.eventLoopUtilization(elu0).utilization;
  const secs = (performance.now() - t0) / 1000;
  const left = db.prepare(OPEN_ROW).get();
  db.close();
  if (left !== undefined || done !== records) throw new Error(`forward run: ${done} of ${records} delivered, rows left open: ${left !== undefined}`);
  if ((await stored(s)) !== records) throw new Error(`forward run: simulator stored ${await stored(s)} of ${records}`);
  return records / secs;
}

export async function drainAfterOutage(s: Sim, dir: string, records: number, outageS: number, bareRps500: number): Promise<ForwardBenchResult['drain']> {
  await sim(s, 'POST', '/sim/reset');
  const db = openDb(join(dir, 'hub-drain.sqlite'));
  await migrate(db);
  process.stdout.write(`  queueing ${records.toLocaleString('en')} records…`);
  const profile = profileFor(s.url, 500);
  fill(db, records, profile);
  process.stdout.write(' done\n');
  // the moment the last record is recorded delivered (the loop below only watches at 50 ms steps)
  let done = 0;
  let endAt = NaN;
  const worker = new ForwardWorker({
    outbox: new ForwardOutbox(db), profile, adapter: adapterFor(profile.adapter), applicants: () => null,
    clock: { now: () => Date.now() }, random: Math.random, log,
    onOutcome: (kind, _code, n) => {
      if (kind === 'delivered' && (done += n) >= records) endAt = performance.now();
    },
  });
  await sim(s, 'POST', '/sim/outage', { forSeconds: outageS, mode: 'refuse' });
  const outageEnds = performance.now() + outageS * 1000;
  const open = db.prepare(OPEN_ROW);
  const count = db.prepare('SELECT count(*) AS n FROM forward_outbox WHERE due_ms IS NOT NULL');
  worker.start();
  let lastPrint = 0;
  // CPU of the machine, this process and the simulator from the province's recovery on
  let atRecovery: { machine: number; hub: number; sim: number } | null = null;
  while (open.get() !== undefined) {
    await new Promise((r) => setTimeout(r, 50));
    if (!atRecovery && performance.now() >= outageEnds) atRecovery = { machine: machineCpuMs(), hub: selfCpuMs(), sim: procCpuMs(s.child.pid!) };
    if (performance.now() - lastPrint > 2000) {
      lastPrint = performance.now();
      process.stdout.write(`  backlog ${(count.get() as { n: number }).n.toLocaleString('en')}${performance.now() < outageEnds ? ' (province down)' : ''}\n`);
    }
  }
  const drainS = ((Number.isNaN(endAt) ? performance.now() : endAt) - outageEnds) / 1000;
  const r0 = atRecovery ?? { machine: NaN, hub: NaN, sim: NaN };
  const hubMs = selfCpuMs() - r0.hub;
  const simMs = procCpuMs(s.child.pid!) - r0.sim;
  const otherCores = Math.max(0, machineCpuMs() - r0.machine - hubMs - simMs) / (drainS * 1000);
  await worker.stop();
  db.close();
  if ((await stored(s)) !== records) throw new Error(`drain run: simulator stored ${await stored(s)} of ${records}`);
  const bareS = records / bareRps500;
  return { records, outageS, drainS, bareS, ratio: bareS / drainS, targetS: 120, otherCores };
}

export async function run(): Promise<ForwardBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-forward-'));
  const s = await startSim(dir);
  try {
    const plan: [number, number][] = QUICK() ? [[1, 200], [50, 2_000], [500, 10_000]] : [[1, 1_000], [50, 10_000], [500, 50_000]];
    const reps = QUICK() ? 1 : 5;
    const throughput: ForwardBenchResult['throughput'] = [];
    const concurrency = profileFor('http://127.0.0.1', 1).concurrency;
    console.log(`forwarding throughput: worker vs. bare simulator accept rate, same run, ${concurrency} request(s) in flight each;`);
    console.log(`medians of ${reps} bare/forward pairs (order alternating), ratio = median forward / median bare, pairs = spread of the per-pair ratios`);
    console.log('  batch   records   bare rec/s   forward rec/s   ratio   pairs');
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const [batch, records] of plan) {
      const bares: number[] = [];
      const fwds: number[] = [];
      const cpuB = { hub: [] as number[], sim: [] as number[], other: [] as number[] };
      const cpuF = { hub: [] as number[], sim: [] as number[], other: [] as number[], elu: [] as number[] };
      const runBare = async (): Promise<void> => {
        bares.push(await bare(s, batch, records));
        cpuB.hub.push(cpu.hub); cpuB.sim.push(cpu.sim); cpuB.other.push(cpu.otherCores);
      };
      const runForward = async (): Promise<void> => {
        fwds.push(await forward(s, dir, batch, records));
        cpuF.hub.push(cpu.hub); cpuF.sim.push(cpu.sim); cpuF.other.push(cpu.otherCores); cpuF.elu.push(lastElu);
      };
      for (let i = 0; i < reps; i++) {
        // alternate which goes first, so a load change on the shared machine does not always favour one side
        if (i % 2 === 0) { await runBare(); await runForward(); } else { await runForward(); await runBare(); }
      }
      const bareRps = median(bares);
      const forwardRps = median(fwds);
      const pairs = fwds.map((f, i) => f / bares[i]!);
      const row = { batch, records, bareRps, forwardRps, ratio: forwardRps / bareRps, pairMin: Math.min(...pairs), pairMax: Math.max(...pairs) };
      throughput.push(row);
      console.log(`  ${String(batch).padStart(5)} ${String(records).padStart(9)} ${bareRps.toFixed(0).padStart(12)} ${forwardRps.toFixed(0).padStart(15)}   ${row.ratio.toFixed(2)}×   ${row.pairMin.toFixed(2)}–${row.pairMax.toFixed(2)}×${batch === 500 ? (row.ratio >= 0.8 ? '  (target ≥ 0.8×: met)' : '  (target ≥ 0.8×: MISSED)') : ''}`);
      console.log(`        CPU µs/record (median): bare client ${median(cpuB.hub).toFixed(1)} + simulator ${median(cpuB.sim).toFixed(1)}; hub worker ${median(cpuF.hub).toFixed(1)} + simulator ${median(cpuF.sim).toFixed(1)} (worker event loop busy ${(median(cpuF.elu) * 100).toFixed(0)}%)`);
      console.log(`        other processes kept ${mean(cpuB.other).toFixed(2)} (bare runs) / ${mean(cpuF.other).toFixed(2)} (forward runs) of the ${cpus().length} cores busy`);
    }
    const bare500 = throughput.find((r) => r.batch === 500)!.bareRps;
    const records = QUICK() ? 20_000 : 200_000;
    console.log(`drain of a ${records.toLocaleString('en')}-record backlog after an outage (batch 500)`);
    const d = await drainAfterOutage(s, dir, records, QUICK() ? 2 : 5, bare500);
    console.log(`  drained in ${d.drainS.toFixed(1)} s after the province came back (bare accept of the same records: ${d.bareS.toFixed(1)} s, ratio ${d.ratio.toFixed(2)}×; target < ${d.targetS} s: ${d.drainS < d.targetS ? 'met' : 'MISSED'}; other processes kept ${d.otherCores.toFixed(2)} cores busy)`);
    const result = { throughput, drain: d };
    console.log(JSON.stringify({ bench: 'hub.forward', ...result }));
    return result;
  } finally {
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  await run();
}
