/**
 * The business simulator against the real hub (real HTTP, real SQLite, embedded broker): its
 * tally agrees with the sessions the hub recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '@hcp/hub/config';
import { Hub } from '@hcp/hub/hub';
import type { SessionView } from '@hcp/protocol';
import { seededRandom } from '../../src/business/random.js';
import { BusinessSimulator } from '../../src/business/simulator.js';

describe('BusinessSimulator against the real hub', () => {
  let dir: string;
  let hub: Hub;
  let url: string;
  let business: string;
  let operator: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-sim-hub-'));
    const config = makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' });
    hub = new Hub(config, { logger: pino({ level: 'silent' }) });
    url = (await hub.start()).httpUrl;
    const r = hub.services.registry;
    r.createStaff({ id: 'staff-001', name: '王晓燕', number: 'A0101' }, 'test');
    r.createStaff({ id: 'staff-002', name: '李强', number: 'A0102' }, 'test');
    r.createWindow({ id: 'w-01', hallId: hub.config.hallId, name: '1号窗口', staffId: 'staff-001' }, 'test');
    r.createWindow({ id: 'w-02', hallId: hub.config.hallId, name: '2号窗口', staffId: null }, 'test');
    r.createWindow({ id: 'w-03', hallId: hub.config.hallId, name: '3号窗口（无设备）', staffId: null }, 'test');
    for (const [i, w] of ['w-01', 'w-02'].entries()) {
      const { code } = hub.services.provisioning.createCode(w, 'test');
      const p = hub.services.provisioning.exchange(
        { v: 1, claimCode: code, hardwareId: `hw-sim-${i}`, model: 'pi4', appVersion: '0.1.0' },
        { hubUrl: url, mqttUrl: 'mqtt://127.0.0.1:1' },
      );
      expect(p.kind).toBe('issued');
    }
    business = hub.services.operators.createToken('queue', 'business', 'test').token;
    hub.services.operators.createUser({ username: 'op', password: 'correct horse battery', role: 'operator' }, 'test');
    operator = (await hub.services.operators.login('op', 'correct horse battery')).token;
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens sessions only on windows with a device, and the hub recorded exactly what the simulator counted', async () => {
    const sim = new BusinessSimulator({ hubUrl: url, token: business, listToken: operator, ratePerSec: 500, limit: 25, batchShare: 0.3, random: seededRandom(11) });
    await sim.start();
    await sim.finished();
    const st = sim.stats();
    expect(st).toMatchObject({ attempted: 25, opened: 25, rejected: 0, failed: 0 });
    const res = await fetch(`${url}/api/sessions?limit=1000`, { headers: { authorization: `Bearer ${operator}` } });
    const sessions = (await res.json()) as SessionView[];
    expect(sessions).toHaveLength(25);
    expect(new Set(sessions.map((s) => s.windowId))).toEqual(new Set(['w-01', 'w-02']));
    expect(sessions.reduce((n, s) => n + s.caseNumbers.length, 0)).toBe(st.cases);
    expect(sessions.filter((s) => s.caseNumbers.length > 1)).toHaveLength(st.batchSessions);
    for (const s of sessions.filter((x) => x.windowId === 'w-01')) expect(s.staffId).toBe('staff-001');
  });

  it('the business token alone may list the windows and staff it opens sessions on', async () => {
    await new BusinessSimulator({ hubUrl: url, token: business, ratePerSec: 1 }).prepare();
  });
});
