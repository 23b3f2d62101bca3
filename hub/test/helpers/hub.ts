/** Starts a real hub (real SQLite file, real broker on port 0, real HTTP) in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Hub } from '../../src/hub.js';
import { makeConfig, type HubConfig } from '../../src/config.js';
import type { Clock } from '../../src/clock.js';
import type { ProvisionResponse } from '@hcp/protocol';
import type { Role } from '../../src/registry/schemas.js';

export class FakeClock implements Clock {
  constructor(public t = Date.parse('2026-11-21T02:00:00.000Z')) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestHub {
  readonly hub: Hub;
  readonly dataDir: string;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  stop(): Promise<void>;
}

export async function startTestHub(overrides: Partial<Record<keyof HubConfig, unknown>> = {}, opts: { clock?: Clock; keepDir?: string } = {}): Promise<TestHub> {
  const dataDir = opts.keepDir ?? mkdtempSync(join(tmpdir(), 'hcp-hub-test-'));
  const config = makeConfig({ dataDir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent', ...overrides });
  const hub = new Hub(config, { logger: pino({ level: process.env.HCP_TEST_LOG ?? 'silent' }), ...(opts.clock ? { clock: opts.clock } : {}) });
  const a = await hub.start();
  return {
    hub,
    dataDir,
    httpUrl: a.httpUrl,
    mqttUrl: a.mqttUrl,
    stop: async () => {
      await hub.stop();
      if (!opts.keepDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registry fixtures: a window (with staff) in the hub's hall. */
export function seedWindow(hub: Hub, windowId = 'w-01', staffId = 'staff-007'): void {
  const r = hub.services.registry;
  if (!r.getStaff(staffId)) r.createStaff({ id: staffId, name: '王晓燕', number: 'A0107', starLevel: 5 }, 'test');
  if (!r.getWindow(windowId)) r.createWindow({ id: windowId, hallId: hub.config.hallId, name: `${windowId} 窗口`, staffId }, 'test');
}

let codeSeq = 0;
/** Provisions a device through the real claim-code path (pre-created code + exchange). */
export function provisionDevice(hub: Hub, windowId = 'w-01'): ProvisionResponse {
  seedWindow(hub, windowId);
  const { code } = hub.services.provisioning.createCode(windowId, 'test');
  const r = hub.services.provisioning.exchange(
    { v: 1, claimCode: code, hardwareId: `hw-${process.pid}-${++codeSeq}`, model: 'pi4', appVersion: '0.1.0' },
    { hubUrl: 'http://127.0.0.1', mqttUrl: hub.mqttUrl },
  );
  if (r.kind !== 'issued') throw new Error(`provisioning failed: ${r.kind}`);
  return r.response;
}

/** A bearer token for a role: users log in (roles of people), tokens for machine roles. */
export async function tokenFor(hub: Hub, role: Role): Promise<string> {
  const ops = hub.services.operators;
  if (role === 'business' || role === 'broker') return ops.createToken(`t-${role}-${++codeSeq}`, role, 'test').token;
  const username = `${role}-${++codeSeq}`;
  ops.createUser({ username, password: 'correct horse battery', role }, 'test');
  return (await ops.login(username, 'correct horse battery')).token;
}
