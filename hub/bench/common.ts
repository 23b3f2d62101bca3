/** Shared bench helpers: provisioning many devices, child processes, /proc sampling. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import mqtt, { type MqttClient } from 'mqtt';
import { Hub } from '../src/hub.js';
import { makeConfig } from '../src/config.js';
import { BROKER_CONCURRENCY } from '../src/broker/embedded.js';

export const HUB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchDevice {
  readonly hallId: string;
  readonly deviceId: string;
  readonly windowId: string;
  readonly signingKey: string;
  readonly password: string;
}

/** Provisions n devices through the real claim-code exchange into dataDir (hub not listening afterwards). */
export async function provisionMany(dataDir: string, n: number, progress: (done: number) => void): Promise<BenchDevice[]> {
  const hub = new Hub(makeConfig({ dataDir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }), { logger: pino({ level: 'silent' }) });
  await hub.start();
  const out: BenchDevice[] = [];
  hub.services.registry.createStaff({ id: 'staff-1', name: '王晓燕', number: 'A01' }, 'bench');
  // setup only: 250 devices per outer transaction (the real per-device transactions nest as savepoints)
  const chunk = hub.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) one(i);
  });
  const one = (i: number): void => {
    const w = `w-${i}`;
    hub.services.registry.createWindow({ id: w, hallId: hub.config.hallId, name: `${i} 号窗口`, staffId: 'staff-1' }, 'bench');
    const { code } = hub.services.provisioning.createCode(w, 'bench');
    const r = hub.services.provisioning.exchange({ v: 1, claimCode: code, hardwareId: `bench-${i}`, model: 'bench', appVersion: '0' }, { hubUrl: '', mqttUrl: '' });
    if (r.kind !== 'issued') throw new Error(`provisioning ${i}: ${r.kind}`);
    out.push({ hallId: r.response.hallId, deviceId: r.response.deviceId, windowId: w, signingKey: r.response.signingKey, password: r.response.mqtt.password });
  };
  for (let i = 0; i < n; i += 250) {
    chunk(i, Math.min(n, i + 250));
    progress(Math.min(n, i + 250));
  }
  await hub.stop();
  return out;
}

export interface Child {
  readonly proc: ChildProcess;
  readonly line: Record<string, unknown>;
}

/** Spawns a node process and resolves on the first stdout JSON line containing `marker`. */
export function spawnUntil(args: string[], marker: string, env: NodeJS.ProcessEnv = { ...process.env, BENCH_CONCURRENCY: String(BROKER_CONCURRENCY) }): Promise<Child> {
  const proc = spawn(process.execPath, args, { cwd: HUB_DIR, stdio: ['ignore', 'pipe', 'pipe'], env });
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    // BENCH_ERR=1: pass the child's stderr through (its warnings and errors while measuring)
    proc.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (process.env.BENCH_ERR) process.stderr.write(c);
    });
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.includes(marker)) resolve({ proc, line: JSON.parse(l) as Record<string, unknown> });
    });
    proc.once('exit', (code) => reject(new Error(`child exited ${code}: ${err.slice(-2000)}`)));
  });
}

export async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null) return;
  const done = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
}

/** CPU seconds every core of the machine has been busy so far (/proc/stat: all but idle and iowait). */
export function machineCpuS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
}

/** CPU seconds (user+system) and RSS bytes of a process, from /proc. */
export function procSample(pid: number): { cpuS: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS: ticks / 100, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

/** A bare aedes broker (no auth) in its own process; with `echo`, an mqtt.js client in that process acks every ratings message at once, like a hub with no work to do. */
export const BARE_BROKER = `
import { Aedes } from 'aedes';
import { createServer } from 'node:net';
import mqtt from 'mqtt';
const broker = await Aedes.createBroker({ concurrency: Number(process.env.BENCH_CONCURRENCY) });
const server = createServer({ noDelay: true }, broker.handle);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
if (process.env.BENCH_ECHO === '1') {
  const c = await mqtt.connectAsync('mqtt://127.0.0.1:' + port, { clientId: 'echo', clean: true });
  c.stream.setNoDelay(true);
  c.on('message', (topic, payload) => {
    const p = topic.split('/');
    const batch = JSON.parse(payload.toString());
    const ack = JSON.stringify({ v: 1, at: new Date().toISOString(), items: batch.ratings.map((r) => ({ id: r.id, result: 'stored' })) });
    c.publish(p.slice(0, 4).join('/') + '/acks', ack, { qos: 1 });
  });
  await c.subscribeAsync('hcp/v1/+/+/ratings', { qos: 1 });
}
console.log(JSON.stringify({ event: 'bare.listening', port }));
process.on('SIGTERM', () => { broker.close(() => server.close(() => process.exit(0))); });
`;

export function connectMany(url: string, devs: readonly BenchDevice[], opts: { auth: boolean; chunk?: number; onProgress?: (n: number) => void; will?: boolean }): Promise<MqttClient[]> {
  return (async () => {
    const out: MqttClient[] = [];
    const chunk = opts.chunk ?? 100;
    for (let i = 0; i < devs.length; i += chunk) {
      const part = await Promise.all(devs.slice(i, i + chunk).map((d) => mqtt.connectAsync(url, {
        clientId: d.deviceId, clean: true, reconnectPeriod: 0, keepalive: 60, connectTimeout: 30_000,
        ...(opts.auth ? { username: d.deviceId, password: d.password } : {}),
        ...(opts.will ? { will: { topic: `hcp/v1/${d.hallId}/${d.deviceId}/status`, payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', at: new Date().toISOString(), reason: 'lwt' })), qos: 1, retain: true } } : {}),
      })));
      for (const c of part) (c.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
      out.push(...part);
      opts.onProgress?.(out.length);
    }
    return out;
  })();
}

export const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
