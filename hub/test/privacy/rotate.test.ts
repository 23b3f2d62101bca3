/**
 * Data-key rotation on real files: `hcp-hub rotate-key` as a real process between hub runs, a
 * running hub following a rotation without restart, --prune, the env-key mode, and a failed
 * rotation that changes nothing. After each step the applicant data reads back and a device's
 * signing key (also encrypted) still verifies its ratings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ProvisionResponse } from '@hcp/protocol';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { openDb } from '../../src/db/db.js';
import { AuditLog } from '../../src/audit.js';
import { systemClock } from '../../src/clock.js';
import { keyUsage, rotateDataKey } from '../../src/privacy/rotate.js';
import { provisionDevice, tokenFor } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { buildHub, runCli } from '../helpers/process.js';

const APPLICANT = { name: '司马相如', idType: '111', idNumber: '510100198807085555', phone: '13655556666', userType: 'person' as const };

describe('data-key rotation', () => {
  let dir: string;
  let creds: ProvisionResponse;
  const sessions: string[] = [];

  const start = async (env: NodeJS.ProcessEnv = {}): Promise<Hub> => {
    const hub = new Hub(makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }),
      { logger: pino({ level: 'silent' }), env });
    await hub.start();
    return hub;
  };
  const fileKeys = (): { current: string; keys: string[] } => {
    const j = JSON.parse(readFileSync(join(dir, 'data-key.json'), 'utf8')) as { current: string; keys: Record<string, string> };
    return { current: j.current, keys: Object.keys(j.keys).sort() };
  };
  const usage = (): Record<string, number> => {
    const db = openDb(join(dir, 'hub.db'));
    try {
      return keyUsage(db);
    } finally {
      db.close();
    }
  };
  /** Everything still works: masked view, reveal, and the device's signed ratings verify. */
  const check = async (hub: Hub): Promise<void> => {
    const manager = await tokenFor(hub, 'manager');
    for (const id of sessions) {
      expect((await call(hub, 'GET', `/api/sessions/${id}`, { token: manager })).json()).toMatchObject({ applicant: { name: '司***', idNumber: '510***********5555' } });
      expect((await call(hub, 'POST', `/api/sessions/${id}/applicant`, { token: manager, body: { reason: '轮换后核对' } })).json()).toMatchObject({ applicant: { name: APPLICANT.name, idNumber: APPLICANT.idNumber } });
    }
    const dev = await new DevicePublisher({ ...creds, mqtt: { ...creds.mqtt, url: hub.mqttUrl } }).connect();
    try {
      const r = makeRating({ ...creds, windowId: 'w-01' });
      await dev.publishRatings([r]);
      expect((await dev.waitAcks([r.id]))[0]!.result).toBe('stored');
    } finally {
      await dev.close();
    }
  };

  beforeAll(async () => {
    buildHub();
    dir = mkdtempSync(join(tmpdir(), 'hcp-rotate-'));
    const hub = await start();
    creds = provisionDevice(hub, 'w-01');
    const business = await tokenFor(hub, 'business');
    for (let i = 0; i < 2; i++) {
      sessions.push((await call(hub, 'POST', '/api/sessions', {
        token: business, body: { windowId: 'w-01', caseNumbers: [`R-${i}`], item: { code: 'X', name: '事项' }, staffId: 'staff-007', applicant: APPLICANT },
      })).json<{ id: string }>().id);
    }
    await hub.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hcp-hub rotate-key (a real process) adds k2, re-encrypts applicants and device keys, keeps k1 until --prune', async () => {
    expect(usage()).toEqual({ k1: 3 });
    const r = runCli(['rotate-key', '--data-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      event: 'data-key.rotated', previous: 'k1', current: 'k2', mode: 'file',
      reencrypted: { 'sessions.applicant_enc': 2, 'devices.signing_key_enc': 1 }, inUse: { k2: 3 }, pruned: [],
    });
    expect(fileKeys()).toEqual({ current: 'k2', keys: ['k1', 'k2'] });
    const hub = await start();
    await check(hub);
    expect(hub.services.audit.list(100).some((a) => a.action === 'data-key.rotate' && a.actor === 'cli')).toBe(true);
    await hub.stop();
  });

  it('a running hub follows a rotation: old and re-encrypted values read, new values use the new key', async () => {
    const hub = await start();
    const db = openDb(join(dir, 'hub.db'));
    try {
      expect(rotateDataKey(db, dir, {}, new AuditLog(db, systemClock), { prune: false })).toMatchObject({ previous: 'k2', current: 'k3' });
    } finally {
      db.close();
    }
    await check(hub);
    const business = await tokenFor(hub, 'business');
    const s = (await call(hub, 'POST', '/api/sessions', {
      token: business, body: { windowId: 'w-01', caseNumbers: ['R-new'], item: { code: 'X', name: '事项' }, staffId: 'staff-007', applicant: APPLICANT },
    })).json<{ id: string }>().id;
    sessions.push(s);
    expect((hub.db.prepare('SELECT applicant_enc AS v FROM sessions WHERE id = ?').get(s) as { v: string }).v).toMatch(/^v1\.k3\./);
    await hub.stop();
  });

  it('--prune drops the keys no value uses; the hub starts and reads everything', async () => {
    const r = runCli(['rotate-key', '--prune', '--data-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ current: 'k4', pruned: ['k1', 'k2', 'k3'], inUse: { k4: 4 } });
    expect(fileKeys()).toEqual({ current: 'k4', keys: ['k4'] });
    const hub = await start();
    await check(hub);
    await hub.stop();
  });

  it('env mode: HCP_DATA_KEY with a new id re-encrypts to it; after --prune the hub needs the env key and says so without it', async () => {
    const env = { HCP_DATA_KEY: randomBytes(32).toString('base64'), HCP_DATA_KEY_ID: 'e2026' };
    const db = openDb(join(dir, 'hub.db'));
    try {
      expect(rotateDataKey(db, dir, env, new AuditLog(db, systemClock), { prune: true })).toMatchObject({ previous: 'e2026', current: 'e2026', mode: 'env', pruned: ['k4'] });
    } finally {
      db.close();
    }
    expect(usage()).toEqual({ e2026: 4 });
    expect(fileKeys()).toEqual({ current: 'e2026', keys: [] });
    const hub = await start(env);
    await check(hub);
    await hub.stop();
    await expect(start({})).rejects.toThrow(/e2026 is missing/);
    // the key can move back into a file the same way: the env key as a previous key
    const back = { HCP_DATA_KEY_PREVIOUS: `e2026:${env.HCP_DATA_KEY}` };
    const r = runCli(['rotate-key', '--data-dir', dir], undefined);
    expect(r.status).not.toBe(0); // without the env key nothing can be read: refused, nothing changed
    expect(usage()).toEqual({ e2026: 4 });
    const db2 = openDb(join(dir, 'hub.db'));
    try {
      expect(rotateDataKey(db2, dir, back, new AuditLog(db2, systemClock), { prune: true })).toMatchObject({ mode: 'file', current: 'k2', pruned: [] });
    } finally {
      db2.close();
    }
    expect(usage()).toEqual({ k2: 4 });
    const hub2 = await start();
    await check(hub2);
    await hub2.stop();
  });

  it('a value under a key nobody has fails the rotation and changes nothing', () => {
    const db = openDb(join(dir, 'hub.db'));
    try {
      db.prepare('UPDATE sessions SET applicant_enc = ? WHERE id = ?').run('v1.lost.AAAA.AAAA.AAAA', sessions[0]);
      const before = JSON.stringify(db.prepare('SELECT applicant_enc FROM sessions ORDER BY id').all());
      expect(() => rotateDataKey(db, dir, {}, new AuditLog(db, systemClock), { prune: false })).toThrow(/lost/);
      expect(JSON.stringify(db.prepare('SELECT applicant_enc FROM sessions ORDER BY id').all())).toBe(before);
    } finally {
      db.close();
    }
  });
});
