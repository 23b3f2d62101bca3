import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProvincialSimulator, type ProvincialProfile } from '@hcp/simulator/provincial/server';
import { Command, validate } from '@hcp/protocol';
import type { Db } from '../../src/db/db.js';
import { CommandSender } from '../../src/broker/commands.js';
import { adapterFor } from '../../src/forward/adapters/index.js';
import { IndicatorStore } from '../../src/forward/indicators.js';
import { loadProfile } from '../../src/forward/profile.js';
import { openTestDb, systemClock, tempDir } from './helpers.js';

describe('IndicatorStore', () => {
  let t: ReturnType<typeof tempDir>;
  let db: Db;
  let sim: ProvincialSimulator | null = null;

  beforeEach(async () => {
    t = tempDir();
    db = await openTestDb(t.dir);
  });
  afterEach(async () => {
    await sim?.stop();
    sim = null;
    db.close();
    t.cleanup();
  });

  async function storeFor(profile: ProvincialProfile): Promise<IndicatorStore> {
    sim = new ProvincialSimulator({ dataFile: join(t.dir, `p-${profile}.sqlite`), profile, appId: 'hall-1', appSecret: 's3cret' });
    await sim.start();
    const p = loadProfile({
      name: 'x', adapter: profile === 'generic' ? 'generic-json' : 'signed-envelope', endpoint: sim.url,
      credentials: { appId: 'hall-1', secret: 's3cret' }, indicators: { kind: 'endpoint' },
    });
    return new IndicatorStore(db, p, adapterFor(p.adapter), systemClock);
  }

  for (const profile of ['generic', 'signed-envelope'] as const) {
    it(`fetches, versions and keeps every list from the ${profile} province`, async () => {
      const store = await storeFor(profile);
      expect(store.current()).toBeNull();
      expect(await store.refresh()).toEqual({ kind: 'new-version', version: 'sim-2026.11' });
      expect(await store.refresh()).toEqual({ kind: 'unchanged', version: 'sim-2026.11' });
      sim!.publishIndicators({ version: 'sim-2027.01', items: [{ code: '501', name: '服务态度差', group: '服务态度' }, { code: '540', name: '窗口无人', group: '服务效率' }] });
      expect(await store.refresh()).toEqual({ kind: 'new-version', version: 'sim-2027.01' });
      expect(store.current()!.items.map((i) => i.code)).toEqual(['501', '540']);
      expect(store.versions().map((v) => v.version)).toEqual(['sim-2027.01', 'sim-2026.11']);
    });
  }

  it('reports an unreachable province with a coded error and keeps the stored list', async () => {
    const store = await storeFor('generic');
    await store.refresh();
    sim!.startOutage(30, 'refuse');
    await expect(store.refresh()).rejects.toMatchObject({ code: 'HCP_PROVINCE_UNAVAILABLE' });
    sim!.startOutage(30, 'reset');
    await expect(store.refresh()).rejects.toMatchObject({ code: 'HCP_PROVINCE_UNAVAILABLE' });
    expect(store.current()!.version).toBe('sim-2026.11');
  });

  it('reads a list from a file, and refuses a malformed one', async () => {
    const file = join(t.dir, 'ind.json');
    writeFileSync(file, JSON.stringify({ version: 'file-1', items: [{ code: '501', name: '服务态度差' }] }));
    const p = loadProfile({ name: 'f', adapter: 'generic-json', endpoint: 'http://127.0.0.1:1', indicators: { kind: 'file', path: file } });
    const store = new IndicatorStore(db, p, adapterFor(p.adapter), systemClock);
    expect(await store.refresh()).toEqual({ kind: 'new-version', version: 'file-1' });
    writeFileSync(file, JSON.stringify({ version: 'file-2', items: [{ code: 'bad code!' }] }));
    await expect(store.refresh()).rejects.toMatchObject({ code: 'HCP_VALIDATION' });
    expect(store.current()!.version).toBe('file-1');
  });

  it('pushes the current list to devices as valid indicators.set commands', async () => {
    const store = new IndicatorStore(db, loadProfile({ name: 'm', adapter: 'generic-json', endpoint: 'http://127.0.0.1:1' }), adapterFor('generic-json'), systemClock);
    store.store({ version: 'm-1', items: [{ code: '501', name: '服务态度差', group: '服务态度' }] }, 'manual:test');
    const published: { topic: string; payload: string }[] = [];
    const sender = new CommandSender({
      publish: async (topic, payload) => {
        if (topic.includes('dev-down')) throw new Error('offline');
        published.push({ topic, payload: String(payload) });
      },
    }, systemClock);
    expect(await store.push(sender, 'hall-1', ['dev-0001', 'dev-down', 'dev-0002'])).toEqual({ sent: ['dev-0001', 'dev-0002'], failed: ['dev-down'] });
    expect(published.map((p) => p.topic)).toEqual(['hcp/v1/hall-1/dev-0001/commands', 'hcp/v1/hall-1/dev-0002/commands']);
    const cmd = JSON.parse(published[0]!.payload) as unknown;
    expect(validate(Command, cmd).ok).toBe(true);
    expect(cmd).toMatchObject({ type: 'indicators.set', args: { list: { version: 'm-1' } } });
  });
});
