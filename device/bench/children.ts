import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const HERE = dirname(fileURLToPath(import.meta.url));

/** Spawns a node script and resolves with its first JSON line on stdout. */
export function spawnJson<T>(args: string[], timeoutMs = 20_000): Promise<{ child: ChildProcess; first: T; lines: string[] }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const t = setTimeout(() => reject(new Error(`child ${args[0]} did not answer: ${err}`)), timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (!done && line.startsWith('{')) {
          done = true;
          clearTimeout(t);
          resolve({ child, first: JSON.parse(line) as T, lines });
        }
      }
    });
    child.once('exit', (code) => {
      if (!done) {
        clearTimeout(t);
        reject(new Error(`child ${args[0]} exited ${code}: ${err}`));
      }
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

export function brokerScript(): string {
  return join(HERE, 'broker-child.js');
}
