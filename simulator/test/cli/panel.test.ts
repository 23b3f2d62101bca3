import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { SerialFrameDecoder, type SerialFrame } from '@hcp/protocol';
import { describeHostFrame, parseScript } from '../../src/cli/panel.js';

const BIN = fileURLToPath(new URL('../../bin/hcp-sim.js', import.meta.url));

describe('hcp-sim panel', () => {
  it('parses scripts and refuses unknown steps', () => {
    expect(parseScript('5, staff,reason:501|510,wait:20,garbage:8,damaged,unplug,reasons')).toEqual([
      { kind: 'star', level: 5 }, { kind: 'staff' }, { kind: 'reason', codes: ['501', '510'] }, { kind: 'wait', ms: 20 },
      { kind: 'garbage', n: 8 }, { kind: 'damaged' }, { kind: 'unplug' }, { kind: 'reasons' },
    ]);
    expect(() => parseScript('6')).toThrow(/unknown step/);
    expect(() => parseScript('wait:x')).toThrow(/unknown step/);
  });

  it('describes what the device shows, in Chinese', () => {
    expect(describeHostFrame({ type: 'prompt', timeoutS: 60, staffName: '王晓燕', staffNumber: 'A0107' })).toContain('请评价');
    expect(describeHostFrame({ type: 'thanks', level: 2 })).toContain('感谢评价');
  });

  it('plays a script over a real pty: the device end receives the frames, garbage is only noise', async () => {
    const child = spawn(process.execPath, [BIN, 'panel', '--script', 'wait:8000,4,garbage:16,2,staff', '--exit-after-script', '--heartbeat', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    while (!/device path: (\S+)/.test(out)) {
      if (child.exitCode !== null) throw new Error(out);
      await new Promise((r) => setTimeout(r, 50));
    }
    const path = /device path: (\S+)/.exec(out)![1]!;
    const port = new SerialPort({ path, baudRate: 9600 });
    const decoder = new SerialFrameDecoder('panel');
    const frames: SerialFrame[] = [];
    port.on('data', (b: Buffer) => { for (const i of decoder.push(b)) if (i.ok) frames.push(i.frame); });
    expect(await exited).toBe(0);
    await new Promise<void>((r) => port.close(() => r()));
    expect(frames).toEqual([{ type: 'star', level: 4 }, { type: 'star', level: 2 }, { type: 'staff', key: 'START' }]);
    expect(decoder.stats.errors.HCP_SERIAL_GARBAGE ?? 0).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
