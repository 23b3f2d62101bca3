import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseOptions, renderDryRun } from '../../src/pi/cli.js';
import { DEFAULT_PI_OPTIONS, buildPlan } from '../../src/pi/plan.js';

function capture(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const w = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  const l = vi.spyOn(console, 'log').mockImplementation((s: unknown) => { out += `${String(s)}\n`; });
  const e = vi.spyOn(console, 'error').mockImplementation((s: unknown) => { err += `${String(s)}\n`; });
  const code = main(argv);
  w.mockRestore(); l.mockRestore(); e.mockRestore();
  return { code, out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('hcp-pi-install --dry-run', () => {
  it('device: prints every file it would write, with content, and every command', () => {
    const { code, out } = capture(['--role', 'device', '--dry-run', '--hub-url', 'http://10.0.0.5:8080', '--input', 'gpio']);
    expect(code).toBe(0);
    const plan = buildPlan({ ...DEFAULT_PI_OPTIONS, role: 'device', hubUrl: 'http://10.0.0.5:8080', input: 'gpio' });
    for (const f of plan.files) {
      expect(out).toContain(`write: ${f.path}`);
      expect(out).toContain(f.content.trimEnd());
    }
    expect(plan.files.map((f) => f.path)).toEqual([
      '/etc/systemd/system/hcp-device.service',
      '/etc/hcp/device.json',
      '/etc/systemd/system/hcp-kiosk.service',
      '/etc/systemd/journald.conf.d/hcp.conf',
      '/etc/tmpfiles.d/hcp.conf',
    ]);
    expect(out).toContain('run: apt-get install -y --no-install-recommends nodejs npm');
    expect(out).toContain('cage chromium fonts-noto-cjk');
    expect(out).toContain('run: systemctl enable --now hcp-device.service');
    expect(out).toMatch(/^# hcp-pi-install --dry-run: nothing was changed/);
  });

  it('device unit restarts on failure, has a watchdog and writes only its data dir', () => {
    const unit = buildPlan({ ...DEFAULT_PI_OPTIONS, role: 'device' }).files[0]?.content ?? '';
    for (const line of ['Type=notify', 'WatchdogSec=30', 'Restart=always', 'ReadWritePaths=/var/lib/hcp', 'ProtectSystem=strict', '--input serial']) {
      expect(unit).toContain(line);
    }
  });

  it('headless device has no kiosk unit and no chromium', () => {
    const plan = buildPlan({ ...DEFAULT_PI_OPTIONS, role: 'device', kiosk: false });
    expect(plan.files.some((f) => f.path.includes('kiosk'))).toBe(false);
    expect(renderDryRun(plan)).not.toContain('chromium');
  });

  it('hub: a hub unit with its ports, no device or kiosk units', () => {
    const { code, out } = capture(['--role', 'hub', '--dry-run', '--http-port', '9090', '--mqtt-port', '11883']);
    expect(code).toBe(0);
    expect(out).toContain('write: /etc/systemd/system/hcp-hub.service');
    expect(out).toContain('--http-port 9090 --mqtt-port 11883');
    expect(out).not.toContain('hcp-device.service');
    expect(out).not.toContain('hcp-kiosk.service');
  });

  it.each([
    [[], '--role must be device or hub'],
    [['--role', 'toaster'], '--role must be device or hub'],
    [['--role', 'device', '--input', 'usb'], '--input must be'],
    [['--role', 'hub', '--http-port', '70000'], 'ports must be'],
    [['--role', 'hub', '--prefix', 'relative/dir'], 'absolute path'],
    [['--role', 'hub', '--user', 'Root;rm'], 'valid user name'],
    [['--role', 'hub', '--bogus'], 'Unknown option'],
  ])('refuses %j with a clear message', (argv, msg) => {
    const r = parseOptions(argv);
    expect('error' in r && r.error).toContain(msg);
    expect(capture(argv).code).toBe(2);
  });

  it('--help is printed by the real bin', () => {
    const bin = fileURLToPath(new URL('../../bin/hcp-pi-install.js', import.meta.url));
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(out).toContain('usage: hcp-pi-install --role device|hub');
    expect(out).toContain('--dry-run');
  });
});
