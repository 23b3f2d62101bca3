/**
 * The hcp-sim CLI as a user runs it: real child processes of the built bin (build first:
 * `npx tsc -b simulator`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub } from '../business/fake-hub.js';

const BIN = fileURLToPath(new URL('../../bin/hcp-sim.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function sim(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const outputs = new WeakMap<ChildProcess, { text: string }>();

/**
 * Resolves when the child's stdout so far matches. All output is kept from the first call on,
 * so two lines written in one chunk are both seen by successive waits.
 */
function waitForLine(child: ChildProcess, re: RegExp): Promise<RegExpMatchArray> {
  let out = outputs.get(child);
  if (!out) {
    const o = { text: '' };
    outputs.set(child, o);
    child.stdout?.on('data', (d: Buffer) => (o.text += d.toString('utf8')));
    out = o;
  }
  const seen = out;
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = re.exec(seen.text);
      if (m) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(m);
      }
      return m !== null;
    };
    const onData = (): void => void setImmediate(check);
    const onExit = (code: number | null): void => {
      if (!check()) reject(new Error(`exited ${code} before ${re}: ${seen.text}`));
    };
    if (check()) return;
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('hcp-sim CLI (child processes of the built bin)', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error('simulator is not built: run `npx tsc -b simulator` first');
    dir = mkdtempSync(join(tmpdir(), 'hcp-sim-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists its commands with --help, and exits 2 without a command', () => {
    const r = sim(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['provincial', 'business', 'panel', 'fleet']) expect(r.stdout).toContain(c);
    const none = sim([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('Usage: hcp-sim');
  });

  it.each([
    ['provincial', ['--port', '--data', '--profile', '--fail-rate', '--latency', '--outage-after', '--outage-for', '--drop-connection', '--duplicate-rate']],
    ['business', ['--hub', '--token', '--rate', '--windows', '--staff', '--batch-share', '--limit', '--seed']],
  ])('%s --help describes every option', (name, flags) => {
    const r = sim([name, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: hcp-sim ${name}`);
    for (const f of flags) expect(r.stdout).toContain(f);
    expect(sim([name, '-h']).stdout).toBe(r.stdout);
  });

  it.each(['panel', 'fleet'])('%s: its --help when built, else "not yet available" with exit code 2, never a crash', (name) => {
    const r = sim([name, '--help']);
    if (existsSync(fileURLToPath(new URL(`../../dist/cli/${name}.js`, import.meta.url)))) {
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: hcp-sim ${name}`);
    } else {
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('not yet available');
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
    }
  });

  it('answers usage errors with exit code 2 and a hint', () => {
    const cases: [string[], RegExp][] = [
      [['nope'], /unknown command/],
      [['provincial', '--fail-rate', '1.5'], /--fail-rate must be a number/],
      [['provincial', '--profile', 'soap'], /--profile must be one of generic, signed-envelope/],
      [['provincial', '--bogus'], /Unknown option/],
      [['provincial', '--indicators', join(dir, 'missing.json')], /--indicators: cannot read/],
      [['business', '--token', 't'], /--hub URL is required/],
      [['business', '--hub', 'http://127.0.0.1:9'], /--token/],
      [['business', '--hub', 'not a url', '--token', 't'], /--hub must be a URL/],
      [['business', '--hub', 'http://127.0.0.1:9', '--token', 't', '--rate', '0'], /--rate must be/],
    ];
    for (const [args, re] of cases) {
      const r = sim(args, { HCP_HUB_TOKEN: '' });
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(re);
    }
  });

  it('provincial serves, counts, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'provincial', '--port', '0', '--data', join(dir, 'p.sqlite'), '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [, url] = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const res = await fetch(`${url}/api/v1/evaluations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-app-id': 'hcp-hall', 'x-app-secret': 'hcp-secret' },
        body: JSON.stringify({ records: [{ projectNo: 'CLI-1', assessNumber: '1', satisfaction: '4', pf: '5', assessTime: '2026-01-01 09:00:00' }] }),
      });
      expect(((await res.json()) as { summary: unknown }).summary).toEqual({ accepted: 1, duplicate: 0, rejected: 0 });
      const counts = (await (await fetch(`${url}/sim/counts`)).json()) as { stored: number };
      expect(counts.stored).toBe(1);
      const final = waitForLine(child, /final counts: stored 1/);
      child.kill('SIGTERM');
      await final;
      expect(await exitOf(child)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('provincial keeps what it accepted through a kill -9 and answers duplicate after the restart', async () => {
    const data = join(dir, 'kill.sqlite');
    const args = [BIN, 'provincial', '--port', '0', '--data', data, '--quiet', '--drop-connection', '0.5', '--seed', '5'];
    const body = JSON.stringify({ records: [{ projectNo: 'K-1', assessNumber: '1', satisfaction: '3', pf: '5', assessTime: '2026-01-01 09:00:00' }] });
    const headers = { 'content-type': 'application/json', 'x-app-id': 'hcp-hall', 'x-app-secret': 'hcp-secret' };
    const first = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const [, url1] = await waitForLine(first, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(await waitForLine(first, /faults: .*dropRate=0\.5/)).toBeTruthy();
    // Retry through dropped connections until an answer arrives, as a client must.
    let answer: { results: { status: string }[] } | null = null;
    for (let tries = 0; !answer && tries < 100; tries++) {
      answer = await fetch(`${url1}/api/v1/evaluations`, { method: 'POST', headers, body }).then(
        async (r) => (await r.json()) as { results: { status: string }[] },
        () => null,
      );
    }
    expect(['accepted', 'duplicate']).toContain(answer?.results[0]?.status);
    first.kill('SIGKILL');
    await exitOf(first);
    const second = spawn(process.execPath, [BIN, 'provincial', '--port', '0', '--data', data, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [, url2] = await waitForLine(second, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const again = (await (await fetch(`${url2}/api/v1/evaluations`, { method: 'POST', headers, body })).json()) as { results: { status: string }[] };
      expect(again.results[0]?.status).toBe('duplicate');
      expect(((await (await fetch(`${url2}/sim/counts`)).json()) as { stored: number }).stored).toBe(1);
    } finally {
      second.kill('SIGKILL');
    }
  });

  it('provincial says HCP_PORT_IN_USE and exits 1 when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      const child = spawn(process.execPath, [BIN, 'provincial', '--port', port, '--data', join(dir, 'busy.sqlite')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      expect(await exitOf(child)).toBe(1);
      expect(err).toContain('HCP_PORT_IN_USE');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('business opens --limit sessions on the hub and exits 0 with a tally', async () => {
    const hub = new FakeHub();
    const url = await hub.start();
    try {
      // a generated token may start with '-': npm start passes it as --token=value
      const child = spawn(process.execPath, [BIN, 'business', '--hub', url, '--token=-tok', '--rate', '200', '--limit', '5', '--seed', '3'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      expect(await exitOf(child)).toBe(0);
      expect(out).toMatch(/limit reached: .*opened 5 · rejected 0 · failed 0/);
      expect(hub.sessions()).toHaveLength(5);
      expect(hub.seen.filter((s) => s.method === 'GET').map((s) => s.url).sort()).toEqual(['/api/staff', '/api/windows']);
      expect(new Set(hub.seen.map((s) => s.auth))).toEqual(new Set(['Bearer -tok']));
    } finally {
      await hub.stop();
    }
  });

  it('business exits 1 with a clear message when the hub cannot list windows', async () => {
    const hub = new FakeHub();
    hub.windows = 'nothing';
    const url = await hub.start();
    try {
      const child = spawn(process.execPath, [BIN, 'business', '--hub', url, '--token', 'tok'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      expect(await exitOf(child)).toBe(1);
      expect(err).toMatch(/cannot read \/api\/windows .*--windows|pass the list with a flag/);
    } finally {
      await hub.stop();
    }
  });
});
