import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SystemdWatchdog } from '../../src/health/watchdog.js';

describe('SystemdWatchdog', () => {
  it('is silent without NOTIFY_SOCKET', async () => {
    const sent: string[] = [];
    const w = new SystemdWatchdog({ env: {}, notify: async (s) => { sent.push(s); } });
    await w.start();
    await w.stop();
    expect(sent).toEqual([]);
  });

  it('reports ready, pings at half of WatchdogSec, reports stopping', async () => {
    const sent: string[] = [];
    let tick: (() => void) | null = null;
    let every = 0;
    const w = new SystemdWatchdog({
      env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' },
      notify: async (s) => { sent.push(s); },
      setInterval: (fn, ms) => { tick = fn; every = ms; return 1; },
      clearInterval: () => { tick = null; },
    });
    await w.start();
    expect(every).toBe(15_000);
    tick!();
    tick!();
    await w.stop();
    expect(sent).toEqual(['--ready', 'WATCHDOG=1', 'WATCHDOG=1', '--stopping']);
    expect(tick).toBeNull();
  });

  it('the real device process notifies systemd-notify when run under systemd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-watchdog-'));
    const log = join(dir, 'notify.log');
    // A stand-in for Debian's systemd-notify, first on PATH, recording what it is asked to send.
    writeFileSync(join(dir, 'systemd-notify'), `#!/bin/sh\necho "$@" >> ${log}\n`);
    chmodSync(join(dir, 'systemd-notify'), 0o755);
    const bin = fileURLToPath(new URL('../../bin/hcp-device.js', import.meta.url));
    const child = spawn(process.execPath, [bin, '--data-dir', join(dir, 'data'), '--screen', 'none', '--input', 'none', '--hub-url', 'http://127.0.0.1:9'], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '1000000' },
      stdio: 'ignore',
    });
    try {
      const deadline = Date.now() + 30_000;
      const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
      while (!lines().includes('WATCHDOG=1')) {
        if (Date.now() > deadline) throw new Error(`no watchdog ping: ${lines().join(',')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(lines()[0]).toBe('--ready');
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines()).toContain('--stopping');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
