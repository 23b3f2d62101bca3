/** Spawning the built hub CLI (child processes run dist/, so build first). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HUB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(HUB_DIR, 'bin', 'hcp-hub.js');

export function buildHub(): void {
  execFileSync(join(HUB_DIR, '..', 'node_modules', '.bin', 'tsc'), ['-b', HUB_DIR], { stdio: 'inherit' });
}

export function runCli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    return { status: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

export interface HubProcess {
  readonly child: ChildProcess;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly exited: Promise<number | null>;
}

/** Starts `hcp-hub` and waits for its machine-readable `hub.listening` line. */
export function spawnHub(args: string[]): Promise<HubProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${err}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      for (const line of buf.split('\n')) {
        if (!line.includes('"hub.listening"')) continue;
        const j = JSON.parse(line) as { httpPort: number; mqttPort: number };
        clearTimeout(timer);
        resolve({ child, httpPort: j.httpPort, mqttPort: j.mqttPort, exited });
        return;
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}: ${err}`));
    });
  });
}
