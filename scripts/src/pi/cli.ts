/**
 * hcp-pi-install: installs a counter device or a hall hub on 64-bit Raspberry Pi OS.
 * `--dry-run` prints every command and file (with its full content) and changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PI_OPTIONS, buildPlan, type InstallPlan, type PiOptions } from './plan.js';

const HELP = `usage: hcp-pi-install --role device|hub [options]

Installs hcp on 64-bit Raspberry Pi OS: Node 20 from Debian, the service as a systemd unit
(restart policy; the device unit also has a watchdog), the Chromium kiosk (device), a RAM journal
and a data directory for SD cards. Run as root from the hcp checkout.

options:
  --role device|hub     what this Pi is (required)
  --hub-url URL         device: the hub's address           (default ${DEFAULT_PI_OPTIONS.hubUrl})
  --input gpio|serial|hid  device: input driver             (default ${DEFAULT_PI_OPTIONS.input})
  --no-kiosk            device: no screen (headless keypad)
  --prefix DIR          install folder                      (default ${DEFAULT_PI_OPTIONS.prefix})
  --data-dir DIR        data folder                         (default ${DEFAULT_PI_OPTIONS.dataDir})
  --user NAME           service user                        (default ${DEFAULT_PI_OPTIONS.user})
  --http-port N         hub HTTP port                       (default ${DEFAULT_PI_OPTIONS.httpPort})
  --mqtt-port N         hub MQTT port                       (default ${DEFAULT_PI_OPTIONS.mqttPort})
  --dry-run             print every command and file, change nothing
  --help                this text`;

export function parseOptions(argv: string[]): { options: PiOptions; dryRun: boolean } | { help: true } | { error: string } {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' }, 'hub-url': { type: 'string' }, input: { type: 'string' }, 'no-kiosk': { type: 'boolean' },
        prefix: { type: 'string' }, 'data-dir': { type: 'string' }, user: { type: 'string' }, 'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (v.help) return { help: true };
  if (v.role !== 'device' && v.role !== 'hub') return { error: '--role must be device or hub' };
  const input = v.input ?? DEFAULT_PI_OPTIONS.input;
  if (input !== 'gpio' && input !== 'serial' && input !== 'hid') return { error: '--input must be gpio, serial or hid' };
  const port = (s: string | undefined, d: number): number | null => {
    if (s === undefined) return d;
    const n = Number(s);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
  };
  const httpPort = port(v['http-port'], DEFAULT_PI_OPTIONS.httpPort);
  const mqttPort = port(v['mqtt-port'], DEFAULT_PI_OPTIONS.mqttPort);
  if (httpPort === null || mqttPort === null) return { error: 'ports must be 1..65535' };
  for (const k of ['prefix', 'data-dir'] as const) {
    const p = v[k];
    if (p !== undefined && !p.startsWith('/')) return { error: `--${k} must be an absolute path` };
  }
  if (v.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(v.user)) return { error: '--user is not a valid user name' };
  return {
    dryRun: v['dry-run'] === true,
    options: {
      ...DEFAULT_PI_OPTIONS,
      role: v.role,
      input,
      kiosk: v['no-kiosk'] !== true,
      hubUrl: v['hub-url'] ?? DEFAULT_PI_OPTIONS.hubUrl,
      prefix: v.prefix ?? DEFAULT_PI_OPTIONS.prefix,
      dataDir: v['data-dir'] ?? DEFAULT_PI_OPTIONS.dataDir,
      user: v.user ?? DEFAULT_PI_OPTIONS.user,
      httpPort,
      mqttPort,
    },
  };
}

export function renderDryRun(plan: InstallPlan): string {
  const cmd = (argv: readonly string[]): string => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  const out: string[] = ['# hcp-pi-install --dry-run: nothing was changed', ''];
  for (const c of plan.before) out.push(`run: ${cmd(c.argv)}    # ${c.why}`);
  for (const f of plan.files) {
    out.push('', `write: ${f.path} (mode ${f.mode.toString(8)})    # ${f.why}`, '-----', f.content.trimEnd(), '-----');
  }
  out.push('');
  for (const c of plan.after) out.push(`run: ${cmd(c.argv)}    # ${c.why}`);
  return `${out.join('\n')}\n`;
}

function execute(plan: InstallPlan): void {
  const run = (argv: readonly string[]): void => {
    console.log(`[hcp-pi-install] ${argv.join(' ')}`);
    execFileSync(argv[0] ?? 'true', argv.slice(1), { stdio: 'inherit' });
  };
  for (const c of plan.before) run(c.argv);
  for (const f of plan.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.content);
    chmodSync(f.path, f.mode);
    console.log(`[hcp-pi-install] wrote ${f.path}`);
  }
  for (const c of plan.after) run(c.argv);
}

export function main(argv: string[]): number {
  const parsed = parseOptions(argv);
  if ('help' in parsed) {
    console.log(HELP);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`hcp-pi-install: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  const plan = buildPlan(parsed.options);
  if (parsed.dryRun) {
    process.stdout.write(renderDryRun(plan));
    return 0;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    console.error('hcp-pi-install: run as root (sudo), or use --dry-run to see what it would do');
    return 1;
  }
  execute(plan);
  return 0;
}
