/** The composition root: extensions attach hooks and routes, start after listening, stop before the drain. */
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import Database from 'better-sqlite3';
import { makeConfig, startHub, type HubExtension } from '../src/index.js';
import { provisionDevice, tokenFor } from './helpers/hub.js';
import { DevicePublisher, makeRating } from './helpers/publisher.js';
import { call } from './helpers/http.js';

describe('hub extensions', () => {
  it('attach registers an ingest hook and routes under the hub auth; start/stop are called in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-ext-'));
    const calls: string[] = [];
    const seen: string[] = [];
    const routes: FastifyPluginAsync = async (app) => {
      app.get('/api/ext/ping', { config: { roles: ['operator'] }, schema: { response: { 200: Type.Object({ pong: Type.Boolean() }) } } }, async () => ({ pong: true }));
      app.get('/api/ext/boom', { config: { public: true } }, async () => {
        throw new Error('SQLITE_IOERR at /var/lib/secret/path');
      });
    };
    const ext: HubExtension = {
      name: 'test',
      attach: (hub) => {
        calls.push('attach');
        hub.onRatingStored((_tx, s) => seen.push(s.rating.id));
        hub.registerHttp(routes, {});
      },
      start: () => void calls.push('start'),
      stop: () => void calls.push('stop'),
    };
    const h = await startHub(makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1' }), { logger: pino({ level: 'silent' }), extensions: [ext] });
    try {
      expect(calls).toEqual(['attach', 'start']);
      expect(h.httpPort).toBeGreaterThan(0);
      expect(h.mqttPort).toBeGreaterThan(0);
      expect((await call(h.hub, 'GET', '/api/ext/ping')).status).toBe(401);
      expect((await call(h.hub, 'GET', '/api/ext/ping', { token: await tokenFor(h.hub, 'operator') })).json()).toEqual({ pong: true });
      // a 5xx never leaks internals
      const boom = await call(h.hub, 'GET', '/api/ext/boom');
      expect(boom.status).toBe(500);
      expect(boom.json()).toEqual({ code: 'HCP_INTERNAL', message: 'internal error' });
      const dev = await new DevicePublisher(provisionDevice(h.hub)).connect();
      const r = makeRating(dev.creds);
      await dev.publishRatings([r]);
      await dev.waitAcks([r.id]);
      expect(seen).toEqual([r.id]);
      await dev.close();
    } finally {
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(calls).toEqual(['attach', 'start', 'stop']);
  });
});

describe('graceful stop', () => {
  it('commits what the inbox holds and sends its acks before the broker closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-stop-'));
    const h = await startHub(makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1' }), { logger: pino({ level: 'silent' }) });
    const dev = await new DevicePublisher(provisionDevice(h.hub)).connect();
    const rs = Array.from({ length: 30 }, () => makeRating(dev.creds));
    // as if just received from the broker: queued, not yet committed, when stop() begins
    for (const r of rs) h.hub.inbox.push(`hcp/v1/${r.hallId}/${r.deviceId}/ratings`, Buffer.from(JSON.stringify({ v: 1, ratings: [r] })));
    expect(h.hub.metrics.value('hcp_hub_ratings_total', { result: 'stored' })).toBe(0);
    await h.stop();
    const db = new Database(join(dir, 'hub.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM ratings').get()).toEqual({ n: 30 });
    db.close();
    // the acks left the hub before its MQTT client and the broker closed
    await dev.waitFor(() => dev.acks.size === 30, 5000, 'acks');
    expect([...dev.acks.values()].every((a) => a.result === 'stored')).toBe(true);
    await dev.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
