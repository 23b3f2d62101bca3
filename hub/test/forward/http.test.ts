import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvincialSimulator } from '@hcp/simulator/provincial/server';
import { nodeHttpTransport } from '../../src/forward/http.js';
import { tempDir } from './helpers.js';

describe('nodeHttpTransport', () => {
  const t = tempDir();
  const http = nodeHttpTransport();
  let sim: ProvincialSimulator;
  beforeAll(async () => {
    sim = new ProvincialSimulator({ dataFile: join(t.dir, 'p.sqlite'), appId: 'a', appSecret: 's' });
    await sim.start();
  });
  afterAll(async () => {
    http.close();
    await sim.stop();
    t.cleanup();
  });
  const get = (signal = AbortSignal.timeout(5000)) => http(`${sim.url}/api/v1/indicators`, { method: 'GET', headers: { 'x-app-id': 'a', 'x-app-secret': 's' }, signal });

  it('resolves any HTTP status with the body', async () => {
    const ok = await get();
    expect(ok.status).toBe(200);
    expect(JSON.parse(await ok.text())).toMatchObject({ version: 'sim-2026.11' });
    const bad = await http(`${sim.url}/api/v1/evaluations`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-app-id': 'a', 'x-app-secret': 'wrong' }, body: '{"records":[]}', signal: AbortSignal.timeout(5000) });
    expect(bad.status).toBe(401);
  });

  it('rejects on a reset connection and on a timeout (hung answer)', async () => {
    sim.startOutage(30, 'reset');
    await expect(get()).rejects.toThrow();
    sim.startOutage(30, 'hang');
    await expect(get(AbortSignal.timeout(300))).rejects.toThrow();
    sim.endOutage();
    expect((await get()).status).toBe(200);
  });
});
