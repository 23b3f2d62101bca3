import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub, makeConfig } from '@hcp/hub';
import { seededRandom } from '../../src/business/random.js';
import { Fleet } from '../../src/fleet/fleet.js';

// Real hub (embedded broker, real SQLite), real device runtimes in child processes, SIGKILLed
// every second: every rating a citizen saw "thank you" for is stored by the hub exactly once.
describe('fleet against a real hub with devices killed mid-burst and the network cut', () => {
  let dir: string;
  let hub: Hub;
  let fleet: Fleet;
  let hubUrl: string;
  let mqttUrl: string;
  let token: string;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-fleet-test-'));
    hub = new Hub(makeConfig({ dataDir: join(dir, 'hub'), httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }), { logger: pino({ level: 'silent' }) });
    const a = await hub.start();
    hubUrl = a.httpUrl;
    mqttUrl = a.mqttUrl;
    hub.services.operators.createUser({ username: 'mgr', password: 'correct horse battery', role: 'manager' }, 'test');
    token = (await hub.services.operators.login('mgr', 'correct horse battery')).token;
  });
  afterAll(async () => {
    await fleet?.stop();
    await hub?.stop();
    if (process.env.HCP_KEEP_TEST_DIR) console.log('kept', dir); else rmSync(dir, { recursive: true, force: true });
  });

  it('provisions through the hub, rates, survives SIGKILLs; lost 0, double-counted 0', async () => {
    fleet = new Fleet({
      hubUrl, token, hallId: hub.config.hallId, devices: 3, dataDir: join(dir, 'fleet'), random: seededRandom(7), seed: 7,
      thinkMs: [20, 120], levels: { 5: 50, 4: 20, 3: 10, 2: 10, 1: 10 }, sessions: 'staff-key', killEveryS: 1, clockSkewMs: 0,
      partition: { everyS: 3, forS: 1, mode: 'drop' }, mqttUrl,
      log: (l) => lines.push(l),
    });
    await fleet.start();
    // Run until enough ratings were given and several devices were killed meanwhile.
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const m = /ratings given (\d+).*kills (\d+)/.exec(fleet.progressLine());
      if (m && Number(m[1]) >= 40 && Number(m[2]) >= 3 && /partitions [1-9]/.test(fleet.progressLine())) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await fleet.drain(60_000)).toBe(true);
    const t = await fleet.tally();
    expect(t.kills).toBeGreaterThanOrEqual(3);
    expect(t.partitions).toBeGreaterThanOrEqual(1);
    expect(t.given).toBeGreaterThanOrEqual(40);
    expect(t, JSON.stringify(t)).toMatchObject({ lost: 0 });
    expect(t.lost).toBe(0);
    expect(t.doubleCounted).toBe(0);
    expect(t.stored).toBe(t.given);
    expect(lines.length).toBeGreaterThan(0);
  }, 240_000); // bounded by its own deadlines: 90 s of rating, 60 s of drain
});
