/**
 * `hcp-device`: the device process. Reads and validates the config, applies flags, builds the
 * runtime and runs it until SIGINT/SIGTERM. Invalid config: message on stderr, exit code 2.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import pino from 'pino';
import { SystemdWatchdog } from './health/watchdog.js';
import { isHcpError } from '@hcp/protocol';
import { loadConfig, readConfigFile } from './config/load.js';
import { DeviceRuntime } from './runtime.js';
import { TerminalScreen } from './screen/terminal.js';
import type { Screen } from './screen/view.js';

export const HELP = `hcp-device — 好差评 counter rating device runtime

Usage: hcp-device [options]

Options:
  --config FILE         JSON config file (every field optional; defaults in the schema)
  --data-dir DIR        where identity and the outbox live (default ./.hcp-data)
  --input KIND          gpio | serial | hid | none (overrides input.driver)
  --screen KIND         kiosk | terminal | none (overrides screen.kind)
  --hub-url URL         hub base URL for provisioning (overrides hubUrl)
  --kiosk-port PORT     kiosk HTTP port on 127.0.0.1, 0 = any free (overrides screen.kioskPort)
  --help                show this help

Logs are JSON lines (pino) on stderr. The kiosk page is http://127.0.0.1:PORT/.
`;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Parses argv into a validated config; returns an exit code instead when it cannot start. */
export function prepare(argv: readonly string[], io: CliIo): { code: number } | { config: ReturnType<typeof loadConfig>; dataDir: string } {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        input: { type: 'string' },
        screen: { type: 'string' },
        'hub-url': { type: 'string' },
        'kiosk-port': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    io.stderr.write(`hcp-device: ${(err as Error).message}\n\n${HELP}`);
    return { code: 2 };
  }
  const v = args.values;
  if (v.help) {
    io.stdout.write(HELP);
    return { code: 0 };
  }
  try {
    const raw = (v.config ? readConfigFile(v.config) : {}) as Record<string, Record<string, unknown>>;
    const merged: Record<string, unknown> = { ...raw };
    const sub = (k: string): Record<string, unknown> => ({ ...((raw[k] as Record<string, unknown> | undefined) ?? {}) });
    if (v.input !== undefined) merged.input = { ...sub('input'), driver: v.input };
    if (v['hub-url'] !== undefined) merged.hubUrl = v['hub-url'];
    if (v.screen !== undefined || v['kiosk-port'] !== undefined) {
      const screen = sub('screen');
      if (v.screen !== undefined) screen.kind = v.screen;
      if (v['kiosk-port'] !== undefined) screen.kioskPort = /^\d+$/.test(v['kiosk-port']) ? Number(v['kiosk-port']) : v['kiosk-port'];
      merged.screen = screen;
    }
    const config = loadConfig(merged);
    return { config, dataDir: resolve(v['data-dir'] ?? '.hcp-data') };
  } catch (err) {
    if (isHcpError(err)) {
      io.stderr.write(`hcp-device: ${err.code}: ${err.message}\n`);
      const errors = (err.detail as { errors?: { field: string; rule: string }[] } | undefined)?.errors ?? [];
      for (const e of errors) io.stderr.write(`  ${e.field || '(root)'}: ${e.rule}\n`);
      return { code: 2 };
    }
    throw err;
  }
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const p = prepare(argv, { stdout: process.stdout, stderr: process.stderr });
  if ('code' in p) return p.code;
  const log = pino({ level: p.config.log.level }, pino.destination(2));
  const screens: Screen[] = p.config.screen.kind === 'terminal' ? [new TerminalScreen(process.stdout)] : [];
  let exitCode = 0;
  let stopping = false;
  let watchdog: SystemdWatchdog | null = null;
  const runtime = new DeviceRuntime({
    config: p.config,
    dataDir: p.dataDir,
    log,
    screens,
    // The service manager (systemd Restart=always) brings the process back.
    onReboot: () => void shutdown('reboot'),
  });
  // `on`, not `once`: a library's signal-exit handler re-raises the signal when it finds itself
  // the only listener left, which would kill us in the middle of a clean stop.
  const done = new Promise<void>((r) => {
    process.on('SIGINT', () => void shutdown('SIGINT').then(r));
    process.on('SIGTERM', () => void shutdown('SIGTERM').then(r));
  });
  async function shutdown(why: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'stopping');
    await watchdog?.stop();
    await runtime.stop(why === 'reboot' ? 'reboot' : 'shutdown');
    if (why === 'reboot') process.exit(0);
  }
  try {
    await runtime.start();
  } catch (err) {
    if (isHcpError(err)) {
      process.stderr.write(`hcp-device: ${err.code}: ${err.message}\n`);
      log.fatal({ err }, 'start failed');
      exitCode = 1;
      await runtime.stop().catch(() => undefined);
      return exitCode;
    }
    throw err;
  }
  // Under systemd (Type=notify, WatchdogSec): ready now, then a watchdog ping from this event loop.
  watchdog = new SystemdWatchdog({ env: process.env });
  await watchdog.start();
  // A line on stdout a supervisor (or test) can wait for.
  if (p.config.screen.kind !== 'terminal') process.stdout.write(`${JSON.stringify({ ready: true, kiosk: runtime.kioskUrl, pid: process.pid })}\n`);
  // Timers inside the runtime are unref'd (so embedding it never holds a process open); the
  // device process itself lives until a signal, even when only the provisioning poll is running.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await done;
  clearInterval(keepAlive);
  return exitCode;
}
