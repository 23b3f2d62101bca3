/** The hcp-hub CLI as a real process: help, port clashes, backup, create-user, create-token. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildHub, runCli, spawnHub } from './helpers/process.js';
import { provisionDevice, startTestHub } from './helpers/hub.js';
import { DevicePublisher, makeRating } from './helpers/publisher.js';

describe('hcp-hub CLI', () => {
  let dir: string;
  let blocker: Server;
  let taken: number;
  beforeAll(async () => {
    buildHub();
    dir = mkdtempSync(join(tmpdir(), 'hcp-cli-'));
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    taken = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => blocker.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help explains options and commands', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    for (const s of ['--data-dir', '--http-port', '--mqtt-port', '--mqtt-url', '--config', 'backup', 'create-user', 'create-token']) expect(r.stdout).toContain(s);
  });

  it('bad options and unknown commands exit non-zero with a message', () => {
    expect(runCli(['--http-port', 'abc'])).toMatchObject({ status: 2, stderr: expect.stringContaining('--http-port must be a number') });
    expect(runCli(['--bogus'])).toMatchObject({ status: 2 });
    expect(runCli(['frobnicate', '--data-dir', dir])).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown command') });
    expect(runCli(['--data-dir', dir, '--hall-id', 'Bad Hall'])).toMatchObject({ status: 2, stderr: expect.stringContaining('HCP_CONFIG_INVALID') });
  });

  it('a taken MQTT port says what to do and exits non-zero', () => {
    const r = runCli(['--data-dir', dir, '--mqtt-port', String(taken), '--http-port', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('HCP_PORT_IN_USE');
    expect(r.stderr).toContain(`MQTT port ${taken} is in use`);
    expect(r.stderr).toContain('--mqtt-port 0');
    expect(r.stderr).toContain(`--mqtt-url mqtt://127.0.0.1:${taken}`);
  });

  it('a taken HTTP port says what to do and exits non-zero (and frees the MQTT port it had opened)', () => {
    const r = runCli(['--data-dir', dir, '--mqtt-port', '0', '--http-port', String(taken)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`HTTP port ${taken} is in use`);
    expect(r.stderr).toContain('--http-port 0');
  });

  it('ports 0 work; the listening line is machine-readable; SIGTERM stops cleanly', async () => {
    const h = await spawnHub(['--data-dir', dir, '--http-port', '0', '--mqtt-port', '0', '--log-level', 'info']);
    expect(h.httpPort).toBeGreaterThan(0);
    expect(h.mqttPort).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${h.httpPort}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok', db: true, mqtt: true });
    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
  });

  it('a config with a province profile runs forwarding inside the hub; a bad profile is a clear config error', async () => {
    const cfg = join(dir, 'with-province.json');
    writeFileSync(cfg, JSON.stringify({
      province: {
        name: 'p', adapter: 'generic-json', endpoint: 'http://127.0.0.1:9/none', credentials: { appId: 'a', secret: 's' },
        hall: { deptName: '测试中心', deptCode: '11330100MB0000000X', areaCode: '330100' }, indicators: { kind: 'endpoint' }, defaultRating: { mode: 'off' },
      },
    }));
    const h = await spawnHub(['--data-dir', dir, '--http-port', '0', '--mqtt-port', '0', '--config', cfg]);
    expect((await fetch(`http://127.0.0.1:${h.httpPort}/api/forward/backlog`)).status).toBe(401);
    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
    writeFileSync(cfg, JSON.stringify({ province: { name: 'p' } }));
    const bad = runCli(['--data-dir', dir, '--http-port', '0', '--mqtt-port', '0', '--config', cfg]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('HCP_CONFIG_INVALID');
  });

  it('create-user, create-token and backup (a consistent copy while ratings are stored)', async () => {
    const u = runCli(['create-user', '--data-dir', dir, '--username', 'root', '--role', 'admin'], 'a-long-password\n');
    expect(u.status).toBe(0);
    expect(JSON.parse(u.stdout)).toMatchObject({ event: 'user.created', username: 'root', role: 'admin' });
    expect(runCli(['create-user', '--data-dir', dir, '--username', 'x', '--role', 'king', '--password', 'long-enough-pw'])).toMatchObject({ status: 2 });
    const tk = runCli(['create-token', '--data-dir', dir, '--name', 'erp', '--role', 'business']);
    expect(JSON.parse(tk.stdout)).toMatchObject({ event: 'token.created', role: 'business', token: expect.stringMatching(/^hcp_/) });

    const t = await startTestHub({}, { keepDir: dir });
    const dev = await new DevicePublisher(provisionDevice(t.hub)).connect();
    const rs = Array.from({ length: 100 }, () => makeRating(dev.creds));
    await dev.publishRatings(rs);
    await dev.waitAcks(rs.map((r) => r.id));
    const out = join(dir, 'backup.db');
    const b = runCli(['backup', '--data-dir', dir, '--out', out]);
    expect(b.status).toBe(0);
    await dev.close();
    await t.stop();
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT COUNT(*) AS n FROM ratings').get()).toEqual({ n: 100 });
    expect(copy.prepare("SELECT COUNT(*) AS n FROM users WHERE username = 'root'").get()).toEqual({ n: 1 });
    copy.close();
    expect(runCli(['backup', '--data-dir', dir])).toMatchObject({ status: 2 });
  });
});
