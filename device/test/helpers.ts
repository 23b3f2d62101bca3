/** Shared test fixtures: a real in-process MQTT broker, temp dirs, a provisioned identity. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Aedes } from 'aedes';
import pino from 'pino';
import type { ProvisionResponse } from '@hcp/protocol';
import { IdentityStore } from '../src/provisioning/identity.js';

export const silent = pino({ level: 'silent' });

export interface TestBroker {
  readonly url: string;
  readonly broker: Aedes;
  close(): Promise<void>;
  /** Drops every client connection (a broker restart as seen by the clients). */
  kickAll(): void;
}

export async function startBroker(port = 0): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const p = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    url: `mqtt://127.0.0.1:${p}`,
    broker,
    kickAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

export function tempDir(prefix = 'hcp-dev-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeIdentity(mqttUrl: string, deviceId = 'dev-1', hallId = 'hall-1'): ProvisionResponse {
  return {
    v: 1,
    hallId,
    deviceId,
    windowId: 'w-01',
    mqtt: { url: mqttUrl, username: deviceId, password: randomBytes(16).toString('hex'), clientId: `hcp-${deviceId}` },
    signingKey: randomBytes(32).toString('base64url'),
    hubUrl: 'http://127.0.0.1:1',
    settings: {},
    indicators: {
      version: 'ind-2026-1',
      items: [
        { code: 'A01', name: '服务态度差', group: '服务态度' },
        { code: 'A02', name: '办事效率低', group: '服务效率' },
        { code: 'A03', name: '材料要求不清楚' },
      ],
    },
  };
}

/** Writes an identity into a data dir as if the device had been provisioned earlier. */
export function provision(dataDir: string, id: ProvisionResponse): void {
  const store = new IdentityStore(dataDir);
  store.save(store.fromResponse(id, new Date().toISOString()));
}

export async function until(check: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fast-moving device config for tests (short intervals, kiosk on a free port). */
export function testConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    screen: { kind: 'none', kioskPort: 0 },
    session: { responseIntervalMs: 0, thanksS: 1, walkUp: 'accept-flagged' },
    sync: { reconnectMinMs: 50, reconnectMaxMs: 400, ackTimeoutMs: 3000, keepaliveS: 5 },
    telemetry: { intervalS: 3600 },
    provisioning: { pollMinMs: 20, pollMaxMs: 200 },
    log: { level: 'silent' },
    ...over,
  };
}
