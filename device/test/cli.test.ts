/** The hcp-device CLI as a real process: --help, invalid config, terminal screen. */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, buildDevice, exited } from './process.js';
import { tempDir } from './helpers.js';

beforeAll(() => buildDevice(), 120_000);

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('hcp-device CLI', () => {
  it('--help prints usage and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--data-dir');
    expect(r.stdout).toContain('--input KIND');
  });

  it('an invalid config lists every error and exits non-zero', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'bad.json');
      writeFileSync(f, JSON.stringify({ input: { driver: 'usb' }, session: { thanksS: 0 } }));
      const r = run(['--config', f, '--data-dir', t.dir]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('HCP_CONFIG_INVALID');
      expect(r.stderr).toContain('/input/driver');
      expect(r.stderr).toContain('/session/thanksS');
      const bad = run(['--input', 'floppy', '--data-dir', t.dir]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('/input/driver');
      const missing = run(['--config', join(t.dir, 'nope.json')]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain('HCP_CONFIG_UNREADABLE');
      expect(run(['--bogus']).status).toBe(2);
    } finally {
      t.cleanup();
    }
  });

  it('--screen terminal shows the claim code and its QR on an unprovisioned device', async () => {
    const t = tempDir();
    try {
      const child = spawn(process.execPath, [BIN, '--screen', 'terminal', '--data-dir', t.dir, '--hub-url', 'http://127.0.0.1:9', '--input', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const end = Date.now() + 30_000;
      while (!/激活码：[0-9A-Z]{4}-[0-9A-Z]{4}/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(out, err).toMatch(/激活码：[0-9A-Z]{4}-[0-9A-Z]{4}/);
      // 'device started' is logged once the signal handlers are in place.
      while (!err.includes('device started') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      // Still running after failed provisioning polls (nothing but unref'd timers in the loop).
      while (!err.includes('hub unreachable') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited(child), err).toBe(0);
      expect(out).toContain('设备未激活');
      expect(out).toMatch(/[▀▄█]/); // the QR in block characters
    } finally {
      t.cleanup();
    }
  });
});
