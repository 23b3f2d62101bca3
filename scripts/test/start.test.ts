import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm start` as a new user runs it (after the build): the hall comes up, citizens rate, the hub
// forwards to the provincial simulator, Ctrl-C stops everything and the fleet's tally loses nothing.
const START = fileURLToPath(new URL('../dist/start.js', import.meta.url));

describe('npm start', () => {
  it('runs a whole hall, forwards ratings, and stops cleanly on SIGINT with nothing lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-start-'));
    const child = spawn(process.execPath, [START, '--data-dir', dir, '--devices', '2', '--rate', '1', '--http-port', '0', '--mqtt-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000;
      // Wait until the province has accepted forwarded records.
      while (!/\[provincial\]\s+stored [1-9]/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`hall did not forward a rating:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(out).toMatch(/dashboard 管理平台\s+http:\/\/127\.0\.0\.1:\d+\/\s+login 登录: admin \/ \S+/);
      expect(out).toMatch(/MQTT broker\s+mqtt:\/\/127\.0\.0\.1:\d+/);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const tally = /tally: given (\d+), stored by the hub (\d+), lost (\d+), double-counted (\d+)/.exec(out);
      expect(tally, out.slice(-3000)).not.toBeNull();
      expect(Number(tally![1])).toBeGreaterThan(0);
      expect(tally![2]).toBe(tally![1]);
      expect(tally![3]).toBe('0');
      expect(tally![4]).toBe('0');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
