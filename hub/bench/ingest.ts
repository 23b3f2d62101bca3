/**
 * Sustained end-to-end ingest: N simulated devices (real MQTT connections) publish signed rating
 * batches; a rating counts when its ack (sent by the hub after the commit) is back at the device.
 * Beside it, in the same run: the bare aedes QoS 1 publish rate (PUBACKs only) and an aedes echo
 * round trip (an mqtt.js client acks each message without validation or storage), same clients.
 *
 * The machine is shared, so bare and hub runs alternate in pairs (`--pairs`, order flipped every
 * pair) and each pair's ratio is printed with the cores other processes kept busy during each run;
 * the summary is the median pair. A single bare run followed by a single hub run compared two
 * different moments of someone else's load (ratios from one pair ranged 0.36–0.57× in an hour).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { signRating, uuidv7, type Rating } from '@hcp/protocol';
import { BROKER_CONCURRENCY } from '../src/broker/embedded.js';
import { WorkingCalendar, chinaMidnight } from '../src/forward/calendar.js';
import { BARE_BROKER, connectMany, fmt, machineCpuS, procSample, provisionMany, spawnUntil, stopChild, type BenchDevice, type Child } from './common.js';

export interface IngestOptions {
  readonly devices: number;
  readonly seconds: number;
  readonly batch: number;
  readonly inflight: number;
  /** bare/hub pairs (default 3). */
  readonly pairs?: number;
}

/**
 * When the seq-th rating of a device was given: the traffic is a backlog drain (the only way one
 * device sends ratings at this rate), so the ratings carry the times a busy counter really gives
 * them: one citizen every 90 s, 08:30–16:00 China time on consecutive working days from a fixed
 * date. Stamping them all "now" (as this bench did before the misuse rules existed) made every
 * window rate 非常满意 ten times a second, the 刷好评 pattern hub/src/misuse flags rating by rating;
 * the rules still run on every rating here, they just find a normal hall.
 */
const calendar = WorkingCalendar.china();
const PER_DAY = 300; // 300 × 90 s = 7.5 h
const days: number[] = [];
function givenAtOf(seq: number): number {
  const n = Math.floor(seq / PER_DAY);
  days[n] ??= chinaMidnight(calendar.addWorkingDays('2026-03-02', n)) + 8.5 * 3_600_000;
  return days[n] + (seq % PER_DAY) * 90_000;
}

function rating(d: BenchDevice, seq: number): Rating {
  const given = givenAtOf(seq);
  return signRating({
    v: 1, id: uuidv7(given, (b) => randomBytes(b.length)), hallId: d.hallId, deviceId: d.deviceId, windowId: d.windowId, sessionId: null,
    caseNumbers: ['330100-2026-000123'], staffId: 'staff-1', itemCode: '330100-000-XK-001', level: 5, indicators: [], indicatorVersion: null,
    channel: 5, assessNumber: 1, origin: 'staff-key', flags: [], givenAt: new Date(given).toISOString(),
    clock: { trusted: true, source: 'ntp', bootId: 'bench', monoMs: seq * 90_000 }, seq,
  }, d.signingKey);
}

/**
 * Drives the clients for `seconds`: each keeps `inflight` batches outstanding. With `waitAck`, a
 * batch is done when its ack arrives (end to end); otherwise when the broker's PUBACK arrives.
 */
interface Driven {
  readonly ratings: number;
  readonly seconds: number;
  readonly clientCpuPct: number;
  /** CPU seconds of the broker or hub process over the measured window. */
  readonly childCpuS: number;
  /** Cores other processes on the machine kept busy over the measured window. */
  readonly otherCores: number;
}

/**
 * Each device's sequence number, kept across runs: it is also the rating's place in the device's
 * day (givenAtOf), so a second hub run on the same database continues the schedule instead of
 * giving every window a second rating at the same minute (which the misuse rules rightly flag).
 */
const seqs = new Map<string, number>();

async function drive(clients: MqttClient[], devs: readonly BenchDevice[], o: IngestOptions, waitAck: boolean, child: Child): Promise<Driven> {
  let counting = false;
  let done = 0;
  let stop = false;
  // signing happens in the loop, as on a device: the same client cost in all three runs
  const payloads = (d: BenchDevice): { body: string; firstId: string } => {
    const s = (seqs.get(d.deviceId) ?? 0) + 1;
    seqs.set(d.deviceId, s + o.batch);
    const ratings = Array.from({ length: o.batch }, (_, i) => rating(d, s + i));
    return { body: JSON.stringify({ v: 1, ratings }), firstId: ratings[0]!.id };
  };
  const loops = clients.map(async (c, i) => {
    const d = devs[i]!;
    const topic = `hcp/v1/${d.hallId}/${d.deviceId}/ratings`;
    const pending = new Map<string, () => void>();
    if (waitAck) {
      // one ack may answer several batches (the hub acks per device per commit): look at every item
      c.on('message', (_t, p) => {
        const ack = JSON.parse(p.toString()) as { items: { id: string }[] };
        for (const it of ack.items) pending.get(it.id)?.();
      });
      await c.subscribeAsync(`hcp/v1/${d.hallId}/${d.deviceId}/acks`, { qos: 1 });
    }
    const one = async (): Promise<void> => {
      while (!stop) {
        const { body, firstId } = payloads(d);
        if (waitAck) {
          const acked = new Promise<void>((r) => pending.set(firstId, r));
          await c.publishAsync(topic, body, { qos: 1 });
          await acked;
          pending.delete(firstId);
        } else {
          await c.publishAsync(topic, body, { qos: 1 });
        }
        if (counting) done += o.batch;
      }
    };
    await Promise.all(Array.from({ length: o.inflight }, () => one()));
  });
  await new Promise((r) => setTimeout(r, 3000)); // warm up
  counting = true;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const k0 = procSample(child.proc.pid!).cpuS;
  const m0 = machineCpuS();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const n = done;
  const secs = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const childCpuS = procSample(child.proc.pid!).cpuS - k0;
  const machine = machineCpuS() - m0;
  stop = true;
  counting = false;
  await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 5000))]);
  const selfS = (c1.user + c1.system) / 1e6;
  return { ratings: n, seconds: secs, clientCpuPct: (selfS / secs) * 100, childCpuS, otherCores: Math.max(0, machine - selfS - childCpuS) / secs };
}

const median = (xs: readonly number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};

export async function ingestBench(o: IngestOptions, log: (s: string) => void): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-ingest-'));
  try {
    log(`ingest: provisioning ${o.devices} devices …`);
    const devs = await provisionMany(dir, o.devices, (n) => log(`  provisioned ${n}`));
    const results: Record<string, number> = {};

    const aedes = async (echo: boolean): Promise<number> => {
      const bare = await spawnUntil(['--input-type=module', '-e', BARE_BROKER], 'bare.listening', { ...process.env, BENCH_ECHO: echo ? '1' : '0', BENCH_CONCURRENCY: String(BROKER_CONCURRENCY) });
      const clients = await connectMany(`mqtt://127.0.0.1:${String(bare.line.port)}`, devs, { auth: false });
      const r = await drive(clients, devs, o, echo, bare);
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await stopChild(bare);
      const rate = r.ratings / r.seconds;
      log(`    aedes ${echo ? 'echo round trip (ack per message, no work)' : 'bare QoS 1 publish (PUBACK)'}: ${fmt(rate)} ratings/s (${fmt(rate / o.batch)} msg/s, broker CPU ${fmt((r.childCpuS / r.seconds) * 100)}% (${fmt((r.childCpuS * 1e6) / r.ratings)} µs per rating), device-side client CPU ${fmt(r.clientCpuPct)}%, other processes ${fmt(r.otherCores, 2)} cores)`);
      return rate;
    };

    const hubCpuUs: number[] = [];
    const hubRss: number[] = [];
    const hubRun = async (): Promise<number> => {
      const hub = await spawnUntil([...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), 'bin/hcp-hub.js', '--data-dir', dir, '--http-port', '0', '--mqtt-port', '0', '--log-level', 'warn'], 'hub.listening');
      const clients = await connectMany(String(hub.line.mqttUrl), devs, { auth: true });
      const m0 = await (await fetch(`${String(hub.line.httpUrl)}/metrics`)).text();
      const r = await drive(clients, devs, o, true, hub);
      const mem = procSample(hub.proc.pid!).rssBytes;
      const m1 = await (await fetch(`${String(hub.line.httpUrl)}/metrics`)).text();
      const metric = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
      const commits = metric(m1, /^hcp_hub_inbox_commits_total (\d+)/m) - metric(m0, /^hcp_hub_inbox_commits_total (\d+)/m);
      const msgs = metric(m1, /^hcp_hub_mqtt_messages_total\{kind="ratings"\} (\d+)/m) - metric(m0, /^hcp_hub_mqtt_messages_total\{kind="ratings"\} (\d+)/m);
      // judged after the commit (hub/src/misuse): a growing queue would mean the rules fall behind
      const misuseQueue = metric(m1, /^hcp_hub_misuse_queue (\d+)/m);
      const judged = metric(m1, /^hcp_hub_misuse_judged_total (\d+)/m) - metric(m0, /^hcp_hub_misuse_judged_total (\d+)/m);
      const storedN = metric(m1, /^hcp_hub_ratings_total\{result="stored"\} (\d+)/m) - metric(m0, /^hcp_hub_ratings_total\{result="stored"\} (\d+)/m);
      const flags = [...m1.matchAll(/^hcp_hub_misuse_flags_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await stopChild(hub);
      const rate = r.ratings / r.seconds;
      const cpuPct = (r.childCpuS / r.seconds) * 100;
      hubCpuUs.push((r.childCpuS * 1e6) / r.ratings);
      hubRss.push(mem / 1e6);
      log(`    hub end to end (publish → validate → verify → commit → ack): ${fmt(rate)} ratings/s, hub CPU ${fmt(cpuPct)}% (${fmt((r.childCpuS * 1e6) / r.ratings)} µs per rating), RSS ${fmt(mem / 1e6)} MB, ${fmt(msgs / Math.max(1, commits), 1)} messages per commit, ${fmt(flags)} misuse flags (rules judged ${fmt(judged)} of ${fmt(storedN)} stored, ${fmt(misuseQueue)} waiting at the end), device-side client CPU ${fmt(r.clientCpuPct)}%, other processes ${fmt(r.otherCores, 2)} cores`);
      return rate;
    };

    results.echoRatingsPerS = await aedes(true);
    const pairs: { bare: number; hub: number }[] = [];
    const n = Math.max(1, o.pairs ?? 3);
    for (let i = 0; i < n; i++) {
      log(`  pair ${i + 1} of ${n}:`);
      // alternate the order so neither side always runs first after setup or after the other
      const bare = i % 2 === 0 ? await aedes(false) : 0;
      const hub = await hubRun();
      const bare2 = i % 2 === 0 ? bare : await aedes(false);
      pairs.push({ bare: bare2, hub });
      log(`    ratio hub / bare aedes QoS 1 = ${fmt(hub / bare2, 2)}×`);
    }
    const ratios = pairs.map((p) => p.hub / p.bare);
    results.bareRatingsPerS = median(pairs.map((p) => p.bare));
    results.hubRatingsPerS = median(pairs.map((p) => p.hub));
    results.ratioMedian = median(ratios);
    results.hubCpuUsPerRating = median(hubCpuUs);
    results.hubRssMB = Math.max(...hubRss);
    const met = (b: boolean): string => (b ? 'met' : 'NOT met');
    log(`  summary: hub ${fmt(results.hubRatingsPerS)} ratings/s median (${fmt(Math.min(...pairs.map((p) => p.hub)))}–${fmt(Math.max(...pairs.map((p) => p.hub)))}), ${fmt(results.hubCpuUsPerRating)} µs hub CPU per rating; bare aedes ${fmt(results.bareRatingsPerS)} median; ratio hub / bare ${fmt(results.ratioMedian, 2)}× median (pairs ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}×); hub / echo ${fmt(results.hubRatingsPerS / results.echoRatingsPerS, 2)}×`);
    log(`  targets: ≥ 5,000 ratings/s ${met(results.hubRatingsPerS >= 5000)}, ≥ 0.5× bare ${met(results.ratioMedian >= 0.5)} (median pair)`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
