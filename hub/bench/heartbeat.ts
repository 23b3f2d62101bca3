/**
 * N connected devices heartbeating: each connects (with LWT), publishes retained `online` and then
 * telemetry every `heartbeatS` seconds. Measured over a window after all are connected: the hub
 * process's RSS and CPU share (of one core), beside a bare aedes broker carrying the same clients
 * and messages (no auth, no subscriber) in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { BARE_BROKER, connectMany, fmt, procSample, provisionMany, spawnUntil, stopChild, type BenchDevice, type Child } from './common.js';

export interface HeartbeatOptions {
  readonly devices: number;
  readonly heartbeatS: number;
  readonly seconds: number;
}

function telemetry(i: number): string {
  return JSON.stringify({
    v: 1, at: new Date().toISOString(), uptimeS: 1000 + i, backlog: 0, oldestUnsyncedAgeS: null, lastAckAt: null,
    input: { driver: 'serial', state: 'ready' }, session: 'idle', diskFreeBytes: 8_000_000_000, cpuTempC: 45,
    clock: { trusted: true, source: 'ntp', bootId: 'bench', monoMs: 1_000_000 + i }, versions: { app: '0.1.0', node: 'v20', protocol: 1 },
  });
}

async function run(child: Child, devs: readonly BenchDevice[], o: HeartbeatOptions, auth: boolean, url: string, log: (s: string) => void): Promise<{ cpuPct: number; rssMB: number; msgs: number }> {
  const clients: MqttClient[] = await connectMany(url, devs, { auth, chunk: 250, will: true, onProgress: (n) => n % 1000 === 0 && log(`    connected ${n}`) });
  await Promise.all(clients.map((c, i) => {
    const d = devs[i]!;
    return c.publishAsync(`hcp/v1/${d.hallId}/${d.deviceId}/status`, JSON.stringify({ v: 1, state: 'online', at: new Date().toISOString(), bootId: 'bench' }), { qos: 1, retain: true });
  }));
  // spread heartbeats evenly over the interval, like real devices that booted at different times
  let sent = 0;
  const timers = clients.map((c, i) => {
    const d = devs[i]!;
    const topic = `hcp/v1/${d.hallId}/${d.deviceId}/telemetry`;
    const beat = (): void => {
      sent++;
      c.publish(topic, telemetry(i), { qos: 1 });
    };
    const start = setTimeout(() => {
      beat();
      timers[i] = setInterval(beat, o.heartbeatS * 1000);
    }, (i / clients.length) * o.heartbeatS * 1000);
    return start as NodeJS.Timeout;
  });
  await new Promise((r) => setTimeout(r, o.heartbeatS * 1000 + 2000)); // every device has beaten once; catch-up done
  const s0 = procSample(child.proc.pid!);
  const sent0 = sent;
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const s1 = procSample(child.proc.pid!);
  const msgs = sent - sent0;
  for (const t of timers) clearInterval(t);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return { cpuPct: ((s1.cpuS - s0.cpuS) / o.seconds) * 100, rssMB: Math.max(s0.rssBytes, s1.rssBytes) / 1e6, msgs: msgs / o.seconds };
}

export async function heartbeatBench(o: HeartbeatOptions, log: (s: string) => void): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-hb-'));
  try {
    log(`heartbeat: provisioning ${o.devices} devices …`);
    const devs = await provisionMany(dir, o.devices, (n) => n % 1000 === 0 && log(`  provisioned ${n}`));
    const bare = await spawnUntil(['--input-type=module', '-e', BARE_BROKER], 'bare.listening');
    log('  bare aedes:');
    const b = await run(bare, devs, o, false, `mqtt://127.0.0.1:${String(bare.line.port)}`, log);
    await stopChild(bare);
    log(`  bare aedes, ${o.devices} clients, ${fmt(b.msgs)} heartbeats/s: RSS ${fmt(b.rssMB)} MB, CPU ${fmt(b.cpuPct, 1)}%`);
    const hub = await spawnUntil(['bin/hcp-hub.js', '--data-dir', dir, '--http-port', '0', '--mqtt-port', '0', '--log-level', 'warn'], 'hub.listening');
    log('  hub:');
    const h = await run(hub, devs, o, true, String(hub.line.mqttUrl), log);
    await stopChild(hub);
    log(`  hub, ${o.devices} devices, ${fmt(h.msgs)} heartbeats/s: RSS ${fmt(h.rssMB)} MB (target ≤ 400), CPU ${fmt(h.cpuPct, 1)}% of one core (target ≤ 25%)`);
    log(`  ratio hub / bare aedes: RSS ${fmt(h.rssMB / b.rssMB, 2)}×, CPU ${fmt(h.cpuPct / Math.max(0.1, b.cpuPct), 2)}×`);
    return { bareRssMB: b.rssMB, bareCpuPct: b.cpuPct, hubRssMB: h.rssMB, hubCpuPct: h.cpuPct, heartbeatsPerS: h.msgs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
