/**
 * `hcp-sim panel`: the serial star-touch panel on a pseudo-terminal, driven from the keyboard or
 * by a script, with noise on demand. Point a device at the printed path:
 *   hcp-device --input serial   (config input.serial.path = the printed device path)
 */
import { isLevel, type HostFrame } from '@hcp/protocol';
import { SerialPanelFake } from '../panel/serial-panel-fake.js';
import { seededRandom } from '../business/random.js';
import { num, parse, str, UsageError, type Io } from './args.js';

export const summary = 'the serial star-touch panel on a pseudo-terminal';

export const help = `hcp-sim panel — 模拟星级触摸评价面板 (serial star-touch panel on a pseudo-terminal)

Usage: hcp-sim panel [options]

Opens a real pseudo-terminal pair (socat) and plays the panel on one end; the device opens the
other end (printed at start) with its real serial driver. Frames from the device (prompt, reasons,
thanks, …) are printed as they arrive.

Keys (interactive, when stdin is a terminal):
  1-5  press that many stars       s  staff key (opens a session)     r  submit the reasons shown
  g    32 garbage bytes            d  a frame with a dropped byte     u  unplug and replug
  q    quit

Options:
  --script STEPS        comma-separated steps run in order, then the panel keeps running:
                        1..5 | staff | reasons (the ones shown) | reason:CODE|CODE | wait:MS |
                        garbage:N | damaged | unplug
  --exit-after-script   stop once the script has run
  --heartbeat S         heartbeat every S seconds (default 5; 0 = none)
  --garbage-every S     inject 32 garbage bytes every S seconds (default off)
  --unplug-every S      unplug and replug every S seconds (default off)
  --baud N              baud rate (default 9600)
  --seed N              PRNG seed for the noise
  -h, --help            this text
`;

const options = {
  script: { type: 'string' }, 'exit-after-script': { type: 'boolean' }, heartbeat: { type: 'string' },
  'garbage-every': { type: 'string' }, 'unplug-every': { type: 'string' }, baud: { type: 'string' }, seed: { type: 'string' },
} as const;

export function describeHostFrame(f: HostFrame): string {
  switch (f.type) {
    case 'prompt': return `请评价 prompt: ${f.staffName} (${f.staffNumber}), ${f.timeoutS}s`;
    case 'reasons': return `请选择原因 reasons: ${f.items.map((i) => `${i.code} ${i.name}`).join(' | ') || '(none)'}`;
    case 'thanks': return `感谢评价 thanks: ${f.level}★`;
    case 'idle': return '待机 idle';
    case 'brightness': return `brightness ${f.percent}%`;
    case 'beep': return `beep ${f.ms} ms`;
  }
}

type Step = { kind: 'star'; level: 1 | 2 | 3 | 4 | 5 } | { kind: 'staff' } | { kind: 'reasons' } | { kind: 'reason'; codes: string[] }
  | { kind: 'wait'; ms: number } | { kind: 'garbage'; n: number } | { kind: 'damaged' } | { kind: 'unplug' };

export function parseScript(s: string): Step[] {
  return s.split(',').map((raw) => {
    const t = raw.trim();
    const n = Number(t);
    if (isLevel(n)) return { kind: 'star', level: n };
    if (t === 'staff' || t === 'reasons' || t === 'damaged' || t === 'unplug') return { kind: t };
    const [k, arg] = t.split(':');
    if (k === 'reason' && arg) return { kind: 'reason', codes: arg.split('|') };
    if (k === 'wait' && arg && /^\d+$/.test(arg)) return { kind: 'wait', ms: Number(arg) };
    if (k === 'garbage' && arg && /^\d+$/.test(arg)) return { kind: 'garbage', n: Number(arg) };
    throw new UsageError(`--script: unknown step ${JSON.stringify(t)}`);
  });
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const v = parse(argv, options);
  if (v.help) {
    io.out(help);
    return 0;
  }
  const script = str(v, 'script') === undefined ? [] : parseScript(str(v, 'script') ?? '');
  const heartbeatS = num(v, 'heartbeat', { min: 0 }) ?? 5;
  const garbageS = num(v, 'garbage-every', { min: 0.1 });
  const unplugS = num(v, 'unplug-every', { min: 0.5 });
  const panel = new SerialPanelFake({ baudRate: num(v, 'baud', { integer: true, min: 300, max: 921_600 }) ?? 9600, random: seededRandom(num(v, 'seed', { integer: true, min: 0 }) ?? 1) });
  await panel.start();
  io.out(`panel ready. device path: ${panel.devicePath}`);
  io.out(`  run a device on it: hcp-device --input serial with {"input":{"serial":{"path":"${panel.devicePath}"}}} in its config`);
  let seen = 0;
  const timers: NodeJS.Timeout[] = [
    setInterval(() => {
      for (; seen < panel.hostFrames.length; seen++) {
        const f = panel.hostFrames[seen];
        if (f) io.out(`← ${describeHostFrame(f)}`);
      }
    }, 100),
  ];
  const safely = (p: Promise<void>): void => { p.catch((err: unknown) => io.err(`panel: ${(err as Error).message}`)); };
  if (heartbeatS > 0) timers.push(setInterval(() => { if (panel.connected) safely(panel.heartbeat()); }, heartbeatS * 1000));
  if (garbageS) timers.push(setInterval(() => { if (panel.connected) safely(panel.garbage(32)); }, garbageS * 1000));
  if (unplugS) timers.push(setInterval(() => safely(panel.disconnect().then(() => panel.reconnect())), unplugS * 1000));
  const shownReasons = (): string[] => {
    const r = [...panel.hostFrames].reverse().find((f) => f.type === 'reasons');
    return r?.type === 'reasons' ? r.items.slice(0, 1).map((i) => i.code) : [];
  };
  const act = async (s: Step): Promise<void> => {
    switch (s.kind) {
      case 'star': io.out(`→ ${s.level}★`); return panel.press(s.level);
      case 'staff': io.out('→ staff key'); return panel.staff('START');
      case 'reasons': {
        const codes = shownReasons();
        io.out(`→ reasons ${codes.join('|') || '(none shown)'}`);
        return codes.length ? panel.reason(codes) : undefined;
      }
      case 'reason': io.out(`→ reasons ${s.codes.join('|')}`); return panel.reason(s.codes);
      case 'wait': await new Promise((r) => setTimeout(r, s.ms)); return;
      case 'garbage': io.out(`→ ${s.n} garbage bytes`); return panel.garbage(s.n);
      case 'damaged': io.out('→ damaged frame'); return panel.sendDamaged({ type: 'star', level: 5 }, 5);
      case 'unplug': io.out('→ unplug / replug'); await panel.disconnect(); return panel.reconnect();
    }
  };
  for (const s of script) await act(s);
  if (!v['exit-after-script']) {
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.resume();
      io.out('keys: 1-5 stars · s staff · r reasons · g garbage · d damaged · u unplug · q quit');
    }
    const keys: Record<string, Step> = { s: { kind: 'staff' }, r: { kind: 'reasons' }, g: { kind: 'garbage', n: 32 }, d: { kind: 'damaged' }, u: { kind: 'unplug' } };
    await new Promise<void>((resolve) => {
      const onKey = (b: Buffer): void => {
        const k = b.toString('utf8');
        if (k === 'q' || k === '\u0003') return resolve();
        const n = Number(k);
        const step: Step | undefined = isLevel(n) ? { kind: 'star', level: n } : keys[k];
        if (step) safely(act(step));
      };
      if (stdin.isTTY) stdin.on('data', onKey);
      void io.stopSignal().then(() => resolve());
    });
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
  }
  for (const t of timers) clearInterval(t);
  // socat relays asynchronously and a pty gives no delivery acknowledgement: let the last bytes
  // cross before the pair is torn down.
  await new Promise((r) => setTimeout(r, 300));
  await panel.stop();
  return 0;
}
