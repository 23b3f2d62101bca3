/**
 * Crash safety with real processes: the delivery worker runs in a child process (built JS) and is
 * killed with SIGKILL while a batch is in flight — after the province stored it, before the hub
 * heard the answer (a proxy holds the answer back). The restarted worker resends that batch, the
 * province answers `duplicate`, and the province's stored count equals the hub's record count.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvincialSimulator } from '@hcp/simulator/provincial/server';
import { ForwardOutbox } from '../../src/forward/outbox.js';
import { openTestDb, rating, tempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'hub/dist/forward/cli.js');
const TOTAL = 1500;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Forwards to the simulator; once `holdFrom` requests have passed, forwards but keeps the answer. */
class HoldingProxy {
  server: Server | null = null;
  passed = 0;
  /** requests read but whose simulator answer has not come back yet */
  outstanding = 0;
  holdFrom = Infinity;
  readonly held = new Set<Socket>();
  private onHold: (() => void) | null = null;
  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  waitHeld(): Promise<void> {
    return new Promise((r) => { this.onHold = r; });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    this.outstanding++;
    let answer: Response;
    let body: string;
    try {
      answer = await fetch(`${this.target}${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
      body = await answer.text();
    } finally {
      this.outstanding--;
    }
    if (++this.passed > this.holdFrom) {
      this.held.add(req.socket); // the province has stored the batch; its answer never arrives
      this.onHold?.();
      return;
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
  }

  async stop(): Promise<void> {
    for (const s of this.held) s.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('hcp-forward process', () => {
  const t = tempDir();
  let sim: ProvincialSimulator;
  let proxy: HoldingProxy;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The child runs built JS. Other work in the tree may be mid-edit: one retry after a pause.
    try {
      execFileSync('npx', ['tsc', '-b', 'hub'], { cwd: ROOT, stdio: 'pipe' });
    } catch {
      await new Promise((r) => setTimeout(r, 5000));
      execFileSync('npx', ['tsc', '-b', 'hub'], { cwd: ROOT, stdio: 'pipe' });
    }
    sim = new ProvincialSimulator({ dataFile: join(t.dir, 'prov.sqlite'), appId: 'hall-1', appSecret: 's3cret' });
    await sim.start();
    proxy = new HoldingProxy(sim.url);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await proxy?.stop();
    await sim?.stop();
    t.cleanup();
  });

  function run(args: string[]): ChildProcess {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.resume();
    c.stderr?.resume();
    children.push(c);
    return c;
  }

  it('prints --help and refuses a broken profile with exit code 2', async () => {
    const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/hcp-forward/);
    expect(help).toMatch(/--profile FILE/);
    const bad = join(t.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', adapter: 'nope', endpoint: 'http://127.0.0.1:1' }));
    const c = run(['--db', join(t.dir, 'unused.sqlite'), '--profile', bad]);
    expect(await exited(c)).toBe(2);
  });

  it('loses nothing and sends nothing twice when SIGKILLed mid-batch and restarted', async () => {
    const dbFile = join(t.dir, 'hub.sqlite');
    const db = await openTestDb(t.dir, 'hub.sqlite');
    const ob = new ForwardOutbox(db);
    db.transaction(() => {
      for (let i = 0; i < TOTAL; i++) ob.enqueue(rating({ cases: [`K-${i}`] }), {}, Date.now());
    })();
    db.close();
    const url = await proxy.start();
    const profileFile = join(t.dir, 'profile.json');
    writeFileSync(profileFile, JSON.stringify({
      name: 'crash', adapter: 'generic-json', endpoint: url, credentials: { appId: 'hall-1', secret: 's3cret' },
      batchSize: 100, rateLimit: { recordsPerSecond: 100_000 }, retry: { baseMs: 10, maxMs: 100, timeoutMs: 60_000 }, pollIntervalMs: 50,
    }));

    proxy.holdFrom = 5; // requests 1–5 answered, the 6th stored but never answered
    const first = run(['--db', dbFile, '--profile', profileFile, '--log-level', 'warn']);
    await proxy.waitHeld();
    first.kill('SIGKILL');
    await exited(first);
    // a request the proxy had already passed on finishes at the province
    while (proxy.outstanding > 0) await new Promise((r) => setTimeout(r, 10));

    const look = new Database(dbFile, { readonly: true });
    const open = (look.prepare('SELECT count(*) AS n FROM forward_outbox WHERE due_ms IS NOT NULL').get() as { n: number }).n;
    const delivered = (look.prepare("SELECT count(*) AS n FROM forward_outbox WHERE state = 'delivered'").get() as { n: number }).n;
    const statesAtKill = look.prepare('SELECT DISTINCT state FROM forward_outbox ORDER BY state').pluck().all();
    look.close();
    const storedAtKill = sim.counts().stored;
    // At least the held batch reached the province unanswered; with two lanes the other lane's
    // batch may have been sent too. Leases were in the dead process's memory only: every record
    // is delivered or still open, and the open ones include all the province stored unanswered.
    expect(storedAtKill - delivered).toBeGreaterThanOrEqual(100);
    expect(delivered + open).toBe(TOTAL);
    expect(open).toBeGreaterThanOrEqual(storedAtKill - delivered);
    expect(statesAtKill).toEqual(['delivered', 'pending']);
    proxy.holdFrom = Infinity;
    const second = run(['--db', dbFile, '--profile', profileFile, '--log-level', 'warn', '--exit-when-drained']);
    expect(await exited(second)).toBe(0);

    const after = new Database(dbFile, { readonly: true });
    const states = after.prepare('SELECT state, result, count(*) AS n FROM forward_outbox GROUP BY state, result ORDER BY state, result').all();
    after.close();
    const sentTwice = storedAtKill - delivered; // stored by the province, unknown to the hub at the crash
    expect(states).toEqual([{ state: 'delivered', result: 'accepted', n: TOTAL - sentTwice }, { state: 'delivered', result: 'duplicate', n: sentTwice }]);
    const c = sim.counts();
    expect(c.stored).toBe(TOTAL);
    expect(c.answers.duplicate).toBe(sentTwice);
    expect(c.answers.accepted).toBe(TOTAL);
  });
});
