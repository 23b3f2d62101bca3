/** Helpers to run the real device process (built JS) and read its kiosk SSE stream. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'device', 'bin', 'hcp-device.js');

/** Builds device (and protocol) so the child runs current code. Incremental: fast when up to date. */
export function buildDevice(): void {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', join(ROOT, 'device')], { stdio: 'inherit' });
}

export interface DeviceProcess {
  readonly child: ChildProcess;
  readonly kiosk: string;
  readonly stderr: () => string;
}

export async function spawnDevice(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DeviceProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const kiosk = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`device did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"ready":true'));
      if (line) {
        clearTimeout(t);
        resolve((JSON.parse(line) as { kiosk: string }).kiosk);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`device exited ${code}: ${err}`));
    });
  });
  return { child, kiosk, stderr: () => err };
}

export interface FrameStream {
  readonly frames: { view: { kind: string; ratingId?: string } }[];
  close(): void;
}

/** Subscribes to the kiosk's SSE stream, collecting frames as the page would see them. */
export function frameStream(kiosk: string): Promise<FrameStream> {
  return new Promise((resolve, reject) => {
    const frames: FrameStream['frames'] = [];
    const req = get(`${kiosk}/events`, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        buf += s;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const chunk = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = chunk.split('\n').find((l) => l.startsWith('data: '));
          if (data) frames.push(JSON.parse(data.slice(6)) as FrameStream['frames'][number]);
        }
      });
      res.on('error', () => undefined);
      resolve({ frames, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

/** Resolves with the exit code, or the signal's name when a signal ended the process. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
}
