/**
 * Chaos: the network between the devices and the broker fails. The hub hands devices the netem
 * proxy as their broker (config publicMqttUrl), and the proxy drops every connection, then stalls
 * (connections held open, nothing forwarded), then heals, then cuts the open connections once,
 * while citizens keep rating.
 * Audit: every rating whose "thank you" a citizen saw is stored by the hub exactly once.
 * The same runs against Mosquitto as external broker when HCP_TEST_MQTT_URL is set (the machine's
 * Mosquitto is never restarted: the proxy cuts its clients instead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Hub, makeConfig } from '@hcp/hub';
import { seededRandom } from '../../src/business/random.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { NetemProxy } from '../../src/netem/proxy.js';
import { PASSWORD, auditHubDb, buildAll, restartablePort, journaled, until } from './helpers.js';

const DEVICES = 3;

interface Run {
  dir: string;
  hub?: Hub;
  proxy?: NetemProxy;
  fleets: Fleet[];
}

let run: Run | undefined;

beforeAll(() => buildAll());
afterEach(async () => {
  if (!run) return;
  for (const f of run.fleets) await f.stop();
  await run.hub?.stop();
  await run.proxy?.stop();
  rmSync(run.dir, { recursive: true, force: true });
  run = undefined;
});

/** Drop, then stall, then heal the device↔broker link while a fleet rates; audit at the end. */
async function dropStallHeal(broker: { external: URL } | { embedded: true }): Promise<void> {
  const r: Run = { dir: mkdtempSync(join(tmpdir(), 'hcp-chaos-net-')), fleets: [] };
  run = r;
  const mqttPort = 'external' in broker ? Number(broker.external.port || 1883) : await restartablePort();
  const proxy = new NetemProxy({ targetHost: 'external' in broker ? broker.external.hostname : '127.0.0.1', targetPort: mqttPort });
  r.proxy = proxy;
  await proxy.start();
  const hub = new Hub(makeConfig({
    dataDir: join(r.dir, 'hub'), httpPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent',
    publicMqttUrl: `mqtt://127.0.0.1:${proxy.port}`,
    ...('external' in broker ? { mqttUrl: broker.external.toString() } : { mqttPort }),
  }), { logger: pino({ level: 'silent' }) });
  r.hub = hub;
  const hubUrl = (await hub.start()).httpUrl;
  hub.services.operators.createUser({ username: 'mgr', password: PASSWORD, role: 'manager' }, 'test');
  const token = (await hub.services.operators.login('mgr', PASSWORD)).token;
  const fleetDir = join(r.dir, 'fleet');
  const given = (): number => journaled(fleetDir, DEVICES).length;
  const fleet = new Fleet({
    hubUrl, token, hallId: hub.config.hallId, devices: DEVICES, dataDir: fleetDir, random: seededRandom(21), seed: 21,
    thinkMs: [20, 100], levels: { 5: 60, 4: 20, 3: 10, 2: 5, 1: 5 }, sessions: 'staff-key', killEveryS: 0, clockSkewMs: 0, log: () => undefined,
  });
  r.fleets.push(fleet);
  await fleet.start();
  await until(() => proxy.connections >= DEVICES && given() >= 6, 60_000, 'devices connected through the proxy and rating');

  proxy.setMode('drop');
  let at = given();
  await until(() => given() >= at + 4 && proxy.stats.refused > 0, 60_000, 'ratings while the link drops everything');
  proxy.setMode('pass');
  await until(() => proxy.connections >= DEVICES, 60_000, 'devices reconnected through the proxy');
  at = given();
  await until(() => given() >= at + 3, 60_000, 'ratings after the first heal');

  proxy.setMode('stall');
  at = given();
  await until(() => given() >= at + 4, 60_000, 'ratings while the link is stalled');
  proxy.setMode('pass');
  at = given();
  await until(() => given() >= at + 3, 60_000, 'ratings after the second heal');

  // a broken link the devices must notice and reconnect through
  const cutBefore = proxy.stats.cut;
  proxy.cut();
  expect(proxy.stats.cut).toBeGreaterThan(cutBefore);
  at = given();
  await until(() => proxy.connections >= DEVICES && given() >= at + 3, 60_000, 'devices reconnected and rating after the cut');

  await fleet.stop();
  const quiet = new Fleet({
    hubUrl, token, hallId: hub.config.hallId, devices: DEVICES, dataDir: fleetDir, random: seededRandom(22), seed: 22,
    thinkMs: [3_600_000, 3_600_000], levels: { 5: 60, 4: 20, 3: 10, 2: 5, 1: 5 }, sessions: 'staff-key', killEveryS: 0, clockSkewMs: 0, log: () => undefined,
  });
  r.fleets.push(quiet);
  await quiet.start();
  expect(await quiet.drain(60_000)).toBe(true);
  const t = await quiet.tally();
  expect(t.lost).toBe(0);
  expect(t.doubleCounted).toBe(0);
  expect(t.stored).toBe(t.given);
  await quiet.stop();
  const ids = journaled(fleetDir, DEVICES);
  expect(t.given).toBe(ids.length);
  await hub.stop();
  r.hub = undefined;
  auditHubDb(join(r.dir, 'hub', 'hub.db'), ids);
  console.log(`chaos network (${'external' in broker ? 'mosquitto' : 'embedded'}): thanks ${ids.length}, proxy ${JSON.stringify(proxy.stats)}`);
}

describe('chaos: device↔broker network drops, stalls and heals (embedded broker)', () => {
  it('thanks = stored once after drop, stall and heal', () => dropStallHeal({ embedded: true }), 150_000);
});

const mosquitto = process.env.HCP_TEST_MQTT_URL;
describe.skipIf(!mosquitto)('chaos: network through Mosquitto (needs Mosquitto: HCP_TEST_MQTT_URL)', () => {
  it('thanks = stored once after drop, stall and heal', () => dropStallHeal({ external: new URL(mosquitto!) }), 150_000);
});
