/**
 * Shared pieces of the chaos tests: build once, free ports, the real hub CLI as a child process,
 * operator login, waits on conditions (never timings) and the audit of a fleet against a hub.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { ThanksJournal } from '../../src/fleet/journal.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const HUB_BIN = join(ROOT, 'hub', 'bin', 'hcp-hub.js');
export const PASSWORD = 'correct horse battery';

/** Child processes run built JavaScript: hub, device and simulator. */
export function buildAll(): void {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', 'hub', 'simulator'], { cwd: ROOT, stdio: 'inherit' });
}

export { restartablePort } from '../../src/netem/ports.js';

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function hubCli(args: string[]): string {
  return execFileSync(process.execPath, [HUB_BIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

export interface HubChild {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly mqttPort: number;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

/** Starts a node script (the hub CLI or a fixture) and waits for its `hub.listening` line. */
export function spawnHub(script: string, args: string[]): Promise<HubChild> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"hub.listening"')) continue;
        const j = JSON.parse(line) as { httpUrl: string; mqttPort: number };
        clearTimeout(timer);
        resolve({ child, httpUrl: j.httpUrl, mqttPort: j.mqttPort, exited, stderr: () => err });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}: ${err}`));
    });
  });
}

/** SIGKILL (a power cut of the hub) or SIGTERM (graceful), waiting for the exit. */
export async function stopChild(h: HubChild | undefined, signal: NodeJS.Signals): Promise<number | null> {
  if (!h || h.child.exitCode !== null || h.child.signalCode !== null) return h ? h.exited : null;
  h.child.kill(signal);
  return h.exited;
}

export async function login(httpUrl: string, username = 'mgr'): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Every rating id the citizens of a fleet saw "thank you" for (the fsynced journals). */
export function journaled(fleetDir: string, devices: number): string[] {
  const ids: string[] = [];
  for (let i = 1; i <= devices; i++) ids.push(...ThanksJournal.read(join(fleetDir, `device-${String(i).padStart(2, '0')}`, 'thanks.journal')));
  return ids;
}

/** The hub's database after the hub stopped: every id is stored exactly once, nothing else is stored twice. */
export function auditHubDb(dbFile: string, ids: readonly string[]): { rows: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    const one = db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id = ?');
    const missing = ids.filter((id) => (one.get(id) as { n: number }).n !== 1);
    expect(missing).toEqual([]);
    const all = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM ratings').get() as { n: number; d: number };
    expect(all.n).toBe(all.d);
    return { rows: all.n };
  } finally {
    db.close();
  }
}
