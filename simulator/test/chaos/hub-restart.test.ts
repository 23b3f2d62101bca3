/**
 * Chaos: the hub process (with its embedded broker) is killed with SIGKILL twice while a fleet of
 * real device processes rates, and started again on the same data dir and ports. Devices keep
 * rating offline meanwhile. Audit: every rating whose "thank you" a citizen saw is stored by the hub
 * exactly once (lookup API, multi-rated API, and the database file after a graceful stop).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/business/random.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { FleetHubApi } from '../../src/fleet/hub-api.js';
import { HUB_BIN, PASSWORD, auditHubDb, buildAll, restartablePort, hubCli, journaled, login, spawnHub, stopChild, until, type HubChild } from './helpers.js';

const DEVICES = 3;

describe('chaos: hub and embedded broker killed mid-ingest', () => {
  let dir: string;
  let hub: HubChild | undefined;
  const fleets: Fleet[] = [];

  beforeAll(() => {
    buildAll();
    dir = mkdtempSync(join(tmpdir(), 'hcp-chaos-hub-'));
  });
  afterAll(async () => {
    for (const f of fleets) await f.stop();
    await stopChild(hub, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL the hub twice while devices rate: thanks = stored once', async () => {
    const hubDir = join(dir, 'hub');
    const fleetDir = join(dir, 'fleet');
    const args = ['--data-dir', hubDir, '--http-port', String(await restartablePort()), '--mqtt-port', String(await restartablePort()), '--log-level', 'warn'];
    hubCli(['create-user', '--data-dir', hubDir, '--username', 'mgr', '--role', 'manager', '--password', PASSWORD]);
    hub = await spawnHub(HUB_BIN, args);
    const token = await login(hub.httpUrl);
    const given = (): number => journaled(fleetDir, DEVICES).length;
    const fleet = new Fleet({
      hubUrl: hub.httpUrl, token, hallId: 'hall-1', devices: DEVICES, dataDir: fleetDir, random: seededRandom(11), seed: 11,
      thinkMs: [20, 100], levels: { 5: 60, 4: 20, 3: 10, 2: 5, 1: 5 }, sessions: 'staff-key', killEveryS: 0, clockSkewMs: 0, log: () => undefined,
    });
    fleets.push(fleet);
    await fleet.start();

    let mark = 0;
    for (let round = 1; round <= 2; round++) {
      await until(() => given() >= mark + 8, 60_000, `8 more ratings before kill ${round}`);
      expect(await stopChild(hub, 'SIGKILL')).toBeNull();
      // citizens keep rating while the hub and its broker are gone: the outbox holds them
      const atKill = given();
      await until(() => given() >= atKill + 4, 60_000, `4 ratings while the hub is down (round ${round})`);
      hub = await spawnHub(HUB_BIN, args);
      mark = given();
    }
    await until(() => given() >= mark + 4, 60_000, 'ratings after the last restart');

    // Stop the citizens, then bring the devices back with citizens that never rate again, so the
    // outboxes drain to a fixed set of ratings.
    await fleet.stop();
    const quiet = new Fleet({
      hubUrl: hub.httpUrl, token, hallId: 'hall-1', devices: DEVICES, dataDir: fleetDir, random: seededRandom(12), seed: 12,
      thinkMs: [3_600_000, 3_600_000], levels: { 5: 60, 4: 20, 3: 10, 2: 5, 1: 5 }, sessions: 'staff-key', killEveryS: 0, clockSkewMs: 0, log: () => undefined,
    });
    fleets.push(quiet);
    await quiet.start();
    expect(await quiet.drain(60_000)).toBe(true);
    const ids = journaled(fleetDir, DEVICES);
    const t = await quiet.tally();
    expect(t.given).toBe(ids.length);
    expect(t.lost).toBe(0);
    expect(t.doubleCounted).toBe(0);
    expect(t.stored).toBe(t.given);
    expect(await new FleetHubApi(hub.httpUrl, token).multiRated()).toBe(0);
    await quiet.stop();

    expect(await stopChild(hub, 'SIGTERM')).toBe(0);
    hub = undefined;
    const { rows } = auditHubDb(join(hubDir, 'hub.db'), ids);
    expect(rows).toBeGreaterThanOrEqual(ids.length);
    console.log(`chaos hub-restart: thanks ${ids.length}, stored rows ${rows}, lost 0, twice 0`);
  }, 240_000);
});
