/** Claim-code provisioning against a real HTTP server speaking the hub's exchange contract. */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { ProvisionRequest, decodeJson, type ProvisionResponse } from '@hcp/protocol';
import { DeviceRuntime } from '../../src/runtime.js';
import { loadConfig } from '../../src/config/load.js';
import { makeIdentity, silent, startBroker, tempDir, testConfig, until, type TestBroker } from '../helpers.js';

interface FakeHub {
  url: string;
  requests: ProvisionRequest[];
  claimed: Map<string, ProvisionResponse>;
  invalid: Set<string>;
  revoked: Set<string>;
  close(): Promise<void>;
}

/** The hub's side of POST /api/provision/exchange, as agreed: 200 | 202 | 404 | 403. */
async function fakeHub(): Promise<FakeHub> {
  const hub: Omit<FakeHub, 'url' | 'close'> = { requests: [], claimed: new Map(), invalid: new Set(), revoked: new Set() };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method !== 'POST' || req.url !== '/api/provision/exchange') return send(404, { code: 'HCP_NOT_FOUND' });
      const r = decodeJson(ProvisionRequest, body);
      if (!r.ok) return send(400, { code: r.code });
      hub.requests.push(r.value);
      const code = r.value.claimCode;
      if (hub.revoked.has(code)) return send(403, { code: 'HCP_DEVICE_REVOKED' });
      if (hub.invalid.has(code)) return send(404, { code: 'HCP_CLAIM_INVALID' });
      const done = hub.claimed.get(code);
      if (done) return send(200, done);
      return send(202, { code: 'HCP_CLAIM_PENDING' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { ...hub, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(over: Record<string, unknown> = {}) {
  const hub = await fakeHub();
  cleanup.push(() => hub.close());
  const broker: TestBroker = await startBroker();
  cleanup.push(() => broker.close());
  const t = tempDir();
  cleanup.push(t.cleanup);
  const make = () => new DeviceRuntime({ config: loadConfig(testConfig({ hubUrl: hub.url, ...over })), dataDir: t.dir, log: silent, hardwareId: 'pi-0000test' });
  return { hub, broker, dir: t.dir, make };
}

describe('provisioning', () => {
  it('shows a claim code, polls while pending, stores the identity atomically, goes online, survives restart', async () => {
    const { hub, broker, dir, make } = await setup();
    const rt = make();
    await rt.start();
    cleanup.push(() => rt.stop());
    const v = rt.view();
    expect(v.kind).toBe('unprovisioned');
    const code = v.kind === 'unprovisioned' ? v.claimCode : '';
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    await until(() => hub.requests.length >= 2, 5000, 'polling');
    expect(hub.requests[0]).toMatchObject({ v: 1, claimCode: code, hardwareId: 'pi-0000test', model: 'hcp-counter-1' });
    // A technician claims it on the hub.
    hub.claimed.set(code, makeIdentity(broker.url, 'dev-claimed'));
    await until(() => rt.link?.current.kind === 'online', 10_000, 'online after claim');
    expect(rt.identity?.identity.deviceId).toBe('dev-claimed');
    expect(statSync(rt.store.file).mode & 0o777).toBe(0o600);
    await rt.stop();
    const before = hub.requests.length;
    const again = make();
    await again.start();
    cleanup.push(() => again.stop());
    expect(again.identity?.identity.deviceId).toBe('dev-claimed');
    expect(again.view().kind).toBe('idle');
    await until(() => again.link?.current.kind === 'online', 10_000, 'online after restart');
    expect(hub.requests.length).toBe(before);
    void dir;
  });

  it('keeps the same claim code across restarts until claimed', async () => {
    const { make } = await setup();
    const a = make();
    await a.start();
    const codeA = a.view().kind === 'unprovisioned' ? (a.view() as { claimCode: string }).claimCode : '';
    await a.stop();
    const b = make();
    await b.start();
    cleanup.push(() => b.stop());
    expect((b.view() as { claimCode: string }).claimCode).toBe(codeA);
  });

  it('a rejected own code is replaced by a fresh one; a revoked device says so on screen', async () => {
    const { hub, make } = await setup();
    const rt = make();
    await rt.start();
    cleanup.push(() => rt.stop());
    const first = (rt.view() as { claimCode: string }).claimCode;
    hub.invalid.add(first);
    await until(() => (rt.view() as { claimCode: string }).claimCode !== first, 5000, 'new code');
    const second = (rt.view() as { claimCode: string }).claimCode;
    hub.revoked.add(second);
    await until(() => rt.provisioning.kind === 'revoked', 5000, 'revoked');
    expect(rt.view()).toMatchObject({ kind: 'unprovisioned', note: '设备已停用，请联系管理员' });
  });

  it('uses a claim code pre-created on the hub from config', async () => {
    const { hub, make } = await setup({ provisioning: { claimCode: '7K3M-Q9XD', pollMinMs: 20, pollMaxMs: 100 } });
    const rt = make();
    await rt.start();
    cleanup.push(() => rt.stop());
    await until(() => hub.requests.length > 0);
    expect(hub.requests[0]!.claimCode).toBe('7K3M-Q9XD');
    expect(rt.view()).toMatchObject({ kind: 'unprovisioned', claimCode: '7K3M-Q9XD' });
  });
});
