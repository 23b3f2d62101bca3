/**
 * `npm start`: a whole hall on one machine. Starts, as separate processes:
 *   1. the provincial 好差评 simulator (generic profile),
 *   2. the hub with its embedded MQTT broker, forwarding to (1),
 *   3. a fleet of simulated counter devices (real device runtimes, provisioned through the hub),
 *   4. a business/queue system opening rating sessions on the windows.
 * Default ports are used when free; taken ones are replaced by free ones, and every address is
 * printed. Ctrl-C stops everything in reverse order; the fleet prints its tally.
 * State lives in .hcp-data/ (kept between runs; --fresh starts over).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HUB_BIN = join(ROOT, 'hub/bin/hcp-hub.js');
const SIM_BIN = join(ROOT, 'simulator/bin/hcp-sim.js');

export const HELP = `usage: npm start [-- options]

Runs a whole 好差评 hall on this machine: the hub (embedded MQTT broker, API, dashboard), a
provincial 好差评 simulator the hub forwards to, a fleet of simulated counter devices with citizens,
and a business/queue system opening sessions. Prints the dashboard address and a login.

options:
  --devices N        simulated devices (default 12)
  --rate R           sessions opened per second across the hall (default 1)
  --http-port N      hub HTTP port (default 8080, or a free one if taken)
  --mqtt-port N      hub MQTT port (default 1883, or a free one if taken)
  --data-dir DIR     state folder (default .hcp-data)
  --fresh            delete the state folder first
  --kill-every S     SIGKILL a random device every S seconds (fault demo)
  --help             this text`;

/**
 * The port to hand the hub: `preferred` when it can be bound on 127.0.0.1 and 0.0.0.0 right now,
 * else 0, so that the hub binds a free port itself and reports it. Probing a free port here and
 * passing its number on would race with every other process picking ports at the same moment.
 */
export async function choosePort(preferred: number): Promise<{ port: number; taken: boolean }> {
  const tryBind = (port: number, host: string): Promise<boolean> =>
    new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
    });
  if (preferred > 0 && (await tryBind(preferred, '0.0.0.0')) && (await tryBind(preferred, '127.0.0.1'))) {
    return { port: preferred, taken: false };
  }
  return { port: 0, taken: preferred > 0 };
}

const PROVINCE_APP_ID = 'hcp-hall';
const live = new Set<ChildProcess>();
// Whatever way this process ends, no part of the hall is left running.
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
}

const PROGRESS_EVERY_MS = 30_000;

function run(name: string, args: string[], onLine?: (line: string) => void): Proc {
  // Own process group: Ctrl-C reaches only this orchestrator, which stops the parts in order
  // (business, fleet drain and tally, hub, province) instead of all at once.
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env }, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const forward = (stream: NodeJS.ReadableStream | null, toErr: boolean): void => {
    if (!stream) return;
    let lastProgress = 0;
    createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      if (name === 'hub' && line.startsWith('{')) return; // the hub's JSON log goes to .hcp-data/hub.log
      // the provincial simulator prints its counts every second; every 30 s keeps the addresses above on screen
      if (name === 'provincial' && line.startsWith('stored ')) {
        if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = Date.now();
      }
      (toErr ? process.stderr : process.stdout).write(`${`[${name}]`.padEnd(13)} ${line}\n`);
    });
  };
  forward(child.stdout, false);
  forward(child.stderr, true);
  return { name, child };
}

function runToEnd(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

function waitFor<T>(what: string, timeoutMs: number, attach: (done: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    attach((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

async function devicesOnline(hubUrl: string, token: string, want: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await fetch(`${hubUrl}/api/devices`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    const list = r?.ok ? ((await r.json()) as { onlineState?: string }[]) : [];
    if (list.filter((d) => d.onlineState === 'online').length >= want) return;
    await new Promise((res) => setTimeout(res, 500));
  }
  console.log(`not every device came online within ${timeoutMs / 1000} s; starting the business system anyway`);
}

interface Credentials {
  adminPassword: string;
  businessToken: string;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      devices: { type: 'string' }, rate: { type: 'string' }, 'http-port': { type: 'string' }, 'mqtt-port': { type: 'string' },
      'data-dir': { type: 'string' }, fresh: { type: 'boolean' }, 'kill-every': { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (v.help) {
    console.log(HELP);
    return;
  }
  const dataDir = v['data-dir'] ?? join(ROOT, '.hcp-data');
  if (v.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const devices = Number(v.devices ?? 12);
  const http = await choosePort(Number(v['http-port'] ?? 8080));
  const mqtt = await choosePort(Number(v['mqtt-port'] ?? 1883));
  if (http.taken) console.log(`port ${v['http-port'] ?? 8080} is taken; the hub's HTTP takes a free port instead (choose with --http-port)`);
  if (mqtt.taken) console.log(`port ${v['mqtt-port'] ?? 1883} is taken (another MQTT broker?); the hub's broker takes a free port instead (choose with --mqtt-port)`);

  const procs: Proc[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the hall …');
    for (const p of [...procs].reverse()) {
      if (p.child.exitCode !== null) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => p.child.kill('SIGKILL'), p.name === 'fleet' ? 90_000 : 15_000);
        p.child.once('exit', () => { clearTimeout(t); resolve(); });
        p.child.kill('SIGTERM');
      });
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  // 1. the provincial simulator
  const secretPath = join(dataDir, 'province-secret');
  if (!existsSync(secretPath)) writeFileSync(secretPath, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const provinceSecret = readFileSync(secretPath, 'utf8').trim();
  // Generated secrets and tokens are passed as --opt=value everywhere below: a base64url value may
  // start with '-', which parseArgs would take for an option ("argument is ambiguous").
  const province = run('provincial', [SIM_BIN, 'provincial', '--port', '0', '--data', join(dataDir, 'province.sqlite'),
    '--app-id', PROVINCE_APP_ID, `--app-secret=${provinceSecret}`]);
  procs.push(province);
  const provinceUrl = await waitFor<string>('the provincial simulator', 30_000, (done) => {
    createInterface({ input: province.child.stdout! }).on('line', (l) => {
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (m?.[1]) done(m[1]);
    });
  });

  // 2. the hub: first run creates the admin user and the business system's token
  const hubData = join(dataDir, 'hub');
  const credsPath = join(dataDir, 'credentials.json');
  let creds: Credentials;
  if (existsSync(credsPath)) {
    creds = JSON.parse(readFileSync(credsPath, 'utf8')) as Credentials;
  } else {
    const adminPassword = randomBytes(9).toString('base64url');
    const u = await runToEnd([HUB_BIN, 'create-user', '--data-dir', hubData, '--username', 'admin', '--role', 'admin', `--password=${adminPassword}`]);
    if (u.code !== 0) throw new Error(`hcp-hub create-user failed: ${u.err || u.out}`);
    const t = await runToEnd([HUB_BIN, 'create-token', '--data-dir', hubData, '--name', 'business-sim', '--role', 'business']);
    let token: string | undefined;
    try {
      token = (JSON.parse(t.out.trim().split('\n').pop() ?? '') as { token?: string }).token;
    } catch { /* reported below */ }
    if (t.code !== 0 || !token) throw new Error(`hcp-hub create-token failed: ${t.err || t.out}`);
    creds = { adminPassword, businessToken: token };
    writeFileSync(credsPath, JSON.stringify(creds, null, 2), { mode: 0o600 });
  }
  const hubConfigPath = join(dataDir, 'hub-config.json');
  // The hub forwards with the simulator profile shipped in hub/data/profiles, pointed at (1).
  const profile = JSON.parse(readFileSync(join(ROOT, 'hub/data/profiles/generic-sim.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(hubConfigPath, JSON.stringify({
    province: { ...profile, endpoint: provinceUrl, credentials: { appId: PROVINCE_APP_ID, secret: provinceSecret } },
  }, null, 2));
  const hubLog = join(dataDir, 'hub.log');
  writeFileSync(hubLog, '');
  // With port 0 the public URL is left out: the hub then answers with the address it was reached at.
  const hub = run('hub', [HUB_BIN, '--data-dir', hubData, '--http-port', String(http.port), '--mqtt-port', String(mqtt.port), '--config', hubConfigPath,
    ...(http.port > 0 ? ['--public-url', `http://127.0.0.1:${http.port}`] : [])], (line) => {
    if (line.startsWith('{')) writeFileSync(hubLog, `${line}\n`, { flag: 'a' });
  });
  procs.push(hub);
  const { hubUrl, mqttPort } = await waitFor<{ hubUrl: string; mqttPort: number }>('the hub', 60_000, (done) => {
    createInterface({ input: hub.child.stdout! }).on('line', (l) => {
      if (!l.includes('hub.listening')) return;
      try {
        const j = JSON.parse(l) as { httpUrl?: string; httpPort?: number; mqttPort?: number };
        if (typeof j.httpPort !== 'number') return;
        done({ hubUrl: j.httpUrl ?? `http://127.0.0.1:${j.httpPort}`, mqttPort: j.mqttPort ?? mqtt.port });
      } catch { /* not the line */ }
    });
    hub.child.once('exit', (code) => {
      if (stopping) return;
      console.error(`the hub exited (${code}); see ${hubLog}`);
      void stopAll(1);
    });
  });

  // 3. the fleet logs in as admin to set up windows, staff and claim codes
  const login = await fetch(`${hubUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: creds.adminPassword }) });
  const session = (await login.json()) as { token?: string };
  if (!login.ok || !session.token) throw new Error(`cannot log in to the hub as admin (${login.status})`);
  procs.push(run('fleet', [SIM_BIN, 'fleet', '--hub', hubUrl, `--token=${session.token}`, '--devices', String(devices), '--sessions', 'business',
    '--data-dir', join(dataDir, 'fleet'), '--think-min', '800', '--think-max', '4000', '--quiet',
    ...(v['kill-every'] ? ['--kill-every', v['kill-every']] : [])]));
  // sessions start once the devices are online (a session for a window without one is refused);
  // after 60 s the business system starts anyway and the refusals show which windows lack one
  await devicesOnline(hubUrl, session.token, devices, 60_000);
  procs.push(run('business', [SIM_BIN, 'business', '--hub', hubUrl, `--token=${creds.businessToken}`, '--rate', v.rate ?? '1', '--quiet']));

  console.log(`
好差评 hall is running 大厅已启动
  dashboard 管理平台   ${hubUrl}/          login 登录: admin / ${creds.adminPassword}
  API docs             ${hubUrl}/api/docs
  metrics              ${hubUrl}/metrics
  MQTT broker          mqtt://127.0.0.1:${mqttPort}
  provincial simulator ${provinceUrl}   (counts: ${provinceUrl}/sim/counts)
  devices              ${devices} simulated, data in ${join(dataDir, 'fleet')}
  hub log              ${hubLog}
Press Ctrl-C to stop.`);
}

main().catch((err: unknown) => {
  console.error(`npm start: ${(err as Error).message}`);
  process.exit(1);
});
