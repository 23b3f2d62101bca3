/**
 * Chaos on the forwarding path: every rating a device holds as "thanked" reaches the hub once and
 * the provincial system once, through
 *  - a provincial outage (outage-after / outage-for) and its recovery: the backlog drains;
 *  - a hub process SIGKILLed in the middle of forwarding while the province fails requests and
 *    drops connections after storing (so the hub re-sends records the province already holds).
 * Audit: hub lookup + multi-rated APIs and the database file; the province's /sim/counts and one
 * stored record per case number (/sim/records/:projectNo/1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Hub, makeConfig } from '@hcp/hub';
import type { ProvisionResponse } from '@hcp/protocol';
import { ProvincialSimulator } from '../../src/provincial/server.js';
import { FleetHubApi } from '../../src/fleet/hub-api.js';
import { PASSWORD, auditHubDb, buildAll, restartablePort, login, spawnHub, stopChild, until, type HubChild } from './helpers.js';
import { ResendingDevice } from './publisher.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'hub-forward.mjs');

function profileFor(sim: ProvincialSimulator): Record<string, unknown> {
  return {
    name: 'generic', adapter: 'generic-json', endpoint: sim.url, credentials: { appId: 'hall-1', secret: 's3cret' },
    hall: { deptName: '杭州市民中心', deptCode: '11330100MB0000000X', areaCode: '330100' },
    indicators: { kind: 'endpoint' }, retry: { baseMs: 20, maxMs: 300 }, pollIntervalMs: 50, batchSize: 10,
  };
}

/** Provisions one device and a manager on a hub data dir (the hub is stopped again afterwards). */
async function prepareHubDir(dataDir: string): Promise<ProvisionResponse> {
  const hub = new Hub(makeConfig({ dataDir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }), { logger: pino({ level: 'silent' }) });
  await hub.start();
  try {
    const s = hub.services;
    s.operators.createUser({ username: 'mgr', password: PASSWORD, role: 'manager' }, 'test');
    s.registry.createStaff({ id: 'staff-007', name: '王晓燕', number: 'A0107', starLevel: 5 }, 'test');
    s.registry.createWindow({ id: 'w-01', hallId: hub.config.hallId, name: '1号窗口', staffId: 'staff-007' }, 'test');
    const { code } = s.provisioning.createCode('w-01', 'test');
    const r = s.provisioning.exchange({ v: 1, claimCode: code, hardwareId: 'hw-chaos-1', model: 'pi4', appVersion: '0.1.0' }, { hubUrl: 'http://127.0.0.1', mqttUrl: hub.mqttUrl });
    if (r.kind !== 'issued') throw new Error(`provisioning failed: ${r.kind}`);
    return r.response;
  } finally {
    await hub.stop();
  }
}

/**
 * Province side of the audit, once the hub's forward backlog is empty: each case number stored and
 * answered `accepted` exactly once (re-sends of records it already held are answered `duplicate`).
 */
async function auditProvince(c: Ctx, sim: ProvincialSimulator, caseNumbers: readonly string[]): Promise<void> {
  await until(async () => /^hcp_forward_backlog 0$/m.test(await (await fetch(`${c.hub!.httpUrl}/metrics`)).text()), 60_000, 'the hub forward backlog to be empty');
  const counts = (await (await fetch(`${sim.url}/sim/counts`)).json()) as { stored: number; answers: { accepted: number } };
  expect(counts.stored).toBe(caseNumbers.length);
  expect(counts.answers.accepted).toBe(caseNumbers.length);
  for (const c of caseNumbers) expect((await fetch(`${sim.url}/sim/records/${encodeURIComponent(c)}/1`)).status).toBe(200);
}

interface Ctx {
  dir: string;
  sim?: ProvincialSimulator;
  hub?: HubChild;
  dev?: ResendingDevice;
}
let ctx: Ctx | undefined;

beforeAll(() => buildAll());
afterEach(async () => {
  if (!ctx) return;
  await ctx.dev?.close();
  await stopChild(ctx.hub, 'SIGKILL');
  await ctx.sim?.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
  ctx = undefined;
});

async function setUp(faults: Record<string, unknown>): Promise<{ c: Ctx; sim: ProvincialSimulator; args: string[]; creds: ProvisionResponse }> {
  const c: Ctx = { dir: mkdtempSync(join(tmpdir(), 'hcp-chaos-fwd-')) };
  ctx = c;
  const sim = new ProvincialSimulator({ dataFile: join(c.dir, 'prov.sqlite'), appId: 'hall-1', appSecret: 's3cret', faults });
  c.sim = sim;
  await sim.start();
  const dataDir = join(c.dir, 'hub');
  const creds = await prepareHubDir(dataDir);
  const config = { dataDir, httpPort: await restartablePort(), mqttPort: await restartablePort(), httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'warn' };
  return { c, sim, args: [JSON.stringify({ config, profile: profileFor(sim) })], creds };
}

/** Waits until the device outbox is empty (every rating acked stored or duplicate), re-sending meanwhile. */
async function drainDevice(dev: ResendingDevice, what: string): Promise<void> {
  await until(() => {
    if (dev.outbox.size > 0) dev.resend();
    return dev.outbox.size === 0;
  }, 60_000, what);
}

async function auditHub(c: Ctx, ids: readonly string[]): Promise<void> {
  const api = new FleetHubApi(c.hub!.httpUrl, await login(c.hub!.httpUrl));
  expect((await api.lookup(ids)).size).toBe(ids.length);
  expect(await api.multiRated()).toBe(0);
}

describe('chaos: forwarding to the province', () => {
  it('a provincial outage then recovery: the backlog drains, hub = province = thanked', async () => {
    // the outage starts after a few requests and lasts 3 s; connections are refused meanwhile
    const { c, sim, args, creds } = await setUp({ outageAfter: 3, outageForS: 3, outageMode: 'refuse' });
    c.hub = await spawnHub(FIXTURE, args);
    const dev = new ResendingDevice(creds, 'OUT');
    c.dev = dev;
    await dev.connect(`mqtt://127.0.0.1:${c.hub.mqttPort}`);
    const thanked = [];
    for (let i = 0; i < 6; i++) {
      thanked.push(...dev.rate(10));
      await drainDevice(dev, `batch ${i} acked`);
    }
    await until(async () => ((await (await fetch(`${sim.url}/sim/faults`)).json()) as { outage: { kind: string } }).outage.kind === 'over', 60_000, 'the outage to start and end');
    const cases = thanked.map((r) => r.caseNumbers[0]!);
    await until(async () => ((await (await fetch(`${sim.url}/sim/counts`)).json()) as { stored: number }).stored >= cases.length, 60_000, 'the backlog to drain');
    const counts = (await (await fetch(`${sim.url}/sim/counts`)).json()) as { requests: Record<string, number> };
    expect(counts.requests.outage ?? 0).toBeGreaterThan(0); // the outage really refused requests
    await auditHub(c, thanked.map((r) => r.id));
    await auditProvince(c, sim, cases);
    await dev.close();
    expect(await stopChild(c.hub, 'SIGTERM')).toBe(0);
    auditHubDb(join(c.dir, 'hub', 'hub.db'), thanked.map((r) => r.id));
  }, 120_000);

  it('hub SIGKILLed mid-forward while the province fails and drops after storing: province holds each once', async () => {
    const { c, sim, args, creds } = await setUp({ failRate: 0.2, dropRate: 0.3, dropWhen: 'after-store' });
    c.hub = await spawnHub(FIXTURE, args);
    const dev = new ResendingDevice(creds, 'KILL');
    c.dev = dev;
    await dev.connect(`mqtt://127.0.0.1:${c.hub.mqttPort}`);
    const thanked = [...dev.rate(120)];
    const stored = async (): Promise<number> => ((await (await fetch(`${sim.url}/sim/counts`)).json()) as { stored: number }).stored;
    // kill while the province holds some but not all of them
    await until(async () => (await stored()) >= 10, 60_000, 'forwarding under way');
    expect(await stopChild(c.hub, 'SIGKILL')).toBeNull();
    const atKill = await stored();
    expect(atKill).toBeLessThan(120); // the kill really was mid-forward
    c.hub = await spawnHub(FIXTURE, args);
    await dev.connect(`mqtt://127.0.0.1:${c.hub.mqttPort}`);
    thanked.push(...dev.rate(20));
    await drainDevice(dev, 'every rating acked after the restart');
    const cases = thanked.map((r) => r.caseNumbers[0]!);
    await until(async () => (await stored()) >= cases.length, 90_000, 'the province to hold every record');
    const counts = (await (await fetch(`${sim.url}/sim/counts`)).json()) as { requests: Record<string, number>; answers: { duplicate: number } };
    console.log(`chaos forward kill: ${cases.length} records, province held ${atKill} at the kill, counts ${JSON.stringify(counts)}`);
    await auditHub(c, thanked.map((r) => r.id));
    await auditProvince(c, sim, cases);
    await dev.close();
    expect(await stopChild(c.hub, 'SIGTERM')).toBe(0);
    auditHubDb(join(c.dir, 'hub', 'hub.db'), thanked.map((r) => r.id));
  }, 150_000);
});
