/**
 * Outbox sync against a real broker: in-process aedes always, Mosquitto when HCP_TEST_MQTT_URL is set.
 * The acking peer from the simulator plays the hub (verifies signatures, acks by id).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { AckPeer } from '@hcp/simulator';
import type { Rating } from '@hcp/protocol';
import { DeviceRuntime } from '../../src/runtime.js';
import { openClient } from '../../src/sync/link.js';
import { loadConfig } from '../../src/config/load.js';
import { makeIdentity, provision, silent, startBroker, tempDir, testConfig, until, type TestBroker } from '../helpers.js';

let stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
});

async function device(url: string, over: Record<string, unknown> = {}, deviceId = `dev-${randomBytes(3).toString('hex')}`) {
  const t = tempDir();
  const id = makeIdentity(url, deviceId);
  provision(t.dir, id);
  const rt = new DeviceRuntime({ config: loadConfig(testConfig(over)), dataDir: t.dir, log: silent });
  stops.push(t.cleanup);
  stops.push(() => rt.stop());
  await rt.start();
  return { rt, id, dir: t.dir };
}

async function peer(url: string, keys: [string, string][], holdAcks = false) {
  const p = new AckPeer({ url, keys: new Map(keys), holdAcks });
  await p.start();
  stops.push(() => p.stop());
  return p;
}

function press(rt: DeviceRuntime, n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = rt.handleInput({ kind: 'star', level: ((i % 3) + 3) as 3 | 4 | 5 });
    if (f.view.kind !== 'thanks') throw new Error(`expected thanks, got ${f.view.kind}`);
    ids.push(f.view.ratingId);
  }
  return ids;
}

function suite(name: string, brokerUrl: () => string) {
  describe(name, () => {
    it('drains the backlog in seq order, each rating stored once, outbox empty after acks', async () => {
      const { rt, id } = await device(brokerUrl(), { sync: { batchSize: 50, maxInflightBatches: 2, reconnectMinMs: 50, reconnectMaxMs: 400 } });
      const p = await peer(brokerUrl(), [[id.deviceId, id.signingKey]]);
      const ids = press(rt, 400);
      await p.waitFor(() => ids.every((x) => p.ratings.has(x)), 20_000, 'all ratings stored');
      await until(() => rt.outbox.backlog() === 0, 10_000, 'outbox empty');
      const seqs = [...p.ratings.values()].filter((r) => r.deviceId === id.deviceId).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(p.stats.rejected).toBe(0);
      expect(new Set(ids).size).toBe(400);
    });

    it('splits batches to stay under the payload limit (ratings with 100 long case numbers)', async () => {
      const { rt, id } = await device(brokerUrl(), { sync: { batchSize: 200, reconnectMinMs: 50, reconnectMaxMs: 400 }, session: { responseIntervalMs: 0 } });
      const ids: string[] = [];
      for (let i = 0; i < 80; i++) {
        const caseNumbers = Array.from({ length: 100 }, (_, k) => `C${i}-${k}-`.padEnd(50, 'x'));
        rt.controller.dispatch({ type: 'session.start', session: { origin: 'session', sessionId: `big-${i}`, caseNumbers, staff: null, item: null, rateUrl: null } });
        const f = rt.handleInput({ kind: 'star', level: 5 });
        if (f.view.kind === 'thanks') ids.push(f.view.ratingId);
      }
      expect(ids).toHaveLength(80);
      const p = await peer(brokerUrl(), [[id.deviceId, id.signingKey]]);
      await p.waitFor(() => ids.every((x) => p.ratings.has(x)), 20_000, 'big ratings stored');
      expect(p.stats.badPayloads).toBe(0);
      expect(p.stats.batches).toBeGreaterThanOrEqual(2);
    });

    it('time.sync from the hub makes the clock trusted; earlier ratings carry boot id, mono time and a flag', async () => {
      const { rt, id } = await device(brokerUrl());
      const early = press(rt, 1)[0]!;
      const p = await peer(brokerUrl(), [[id.deviceId, id.signingKey]]);
      // The peer answers the retained `online` status with time.sync, as the hub does.
      await p.waitFor(() => p.results.some((r) => r.type === 'time.sync' && r.ok), 10_000, 'time.sync result');
      const late = press(rt, 1)[0]!;
      await p.waitFor(() => p.ratings.has(early) && p.ratings.has(late), 10_000, 'ratings');
      const a = p.ratings.get(early) as Rating;
      const b = p.ratings.get(late) as Rating;
      expect(a.clock.trusted).toBe(false);
      expect(a.flags).toContain('clock-untrusted');
      expect(a.clock.bootId).toBe(b.clock.bootId);
      expect(b.clock.monoMs).toBeGreaterThanOrEqual(a.clock.monoMs);
      expect(b.clock).toMatchObject({ trusted: true, source: 'hub' });
      expect(b.flags).not.toContain('clock-untrusted');
    });

    it('a time.sync that waited (round trip over 2 s) is refused; an untrusted device asks again and adopts the fresh one', async () => {
      const { rt, id } = await device(brokerUrl());
      const p = new AckPeer({ url: brokerUrl(), keys: new Map([[id.deviceId, id.signingKey]]), timeSyncOnOnline: false });
      await p.start();
      stops.push(() => p.stop());
      await p.waitFor(() => p.statuses.get(id.deviceId)?.monoMs !== undefined, 10_000, 'retained online status');
      const first = p.statuses.get(id.deviceId)!;
      // as if the hub had answered this status 5 s ago and a broker had held the answer since
      const hubNow = Date.now() - 5000;
      const stale = await p.sendCommand(id.hallId, id.deviceId, 'time.sync', { now: new Date(hubNow).toISOString(), nowMs: hubNow, echo: { bootId: first.bootId!, monoMs: first.monoMs! - 5000 } });
      await p.waitFor(() => p.results.some((r) => r.commandId === stale), 10_000, 'stale result');
      expect(p.results.find((r) => r.commandId === stale)).toMatchObject({ ok: false, code: 'HCP_TIME_SYNC_STALE' });
      expect(rt.time.info().trusted).toBe(false);
      // the device announced itself again: a prompt answer to that status is adopted
      await p.waitFor(() => (p.statuses.get(id.deviceId)?.monoMs ?? 0) > first.monoMs!, 10_000, 'second online status');
      const again = p.statuses.get(id.deviceId)!;
      const now = Date.now();
      const fresh = await p.sendCommand(id.hallId, id.deviceId, 'time.sync', { now: new Date(now).toISOString(), nowMs: now, echo: { bootId: again.bootId!, monoMs: again.monoMs! } });
      await p.waitFor(() => p.results.some((r) => r.commandId === fresh), 10_000, 'fresh result');
      expect(p.results.find((r) => r.commandId === fresh)?.ok).toBe(true);
      expect(rt.time.info()).toMatchObject({ trusted: true, source: 'hub' });
      expect(Math.abs(rt.time.now() - Date.now())).toBeLessThan(2000);
    });

    it('runs hub sessions from commands: batch of cases, 差评 with reason, results and session.ended events', async () => {
      const { rt, id } = await device(brokerUrl(), { session: { responseIntervalMs: 0, walkUp: 'refuse' } });
      const p = await peer(brokerUrl(), [[id.deviceId, id.signingKey]]);
      await until(() => rt.link?.current.kind === 'online');
      const staff = { id: 'st-7', name: '王五', number: 'A007' };
      const cmdId = await p.sendCommand(id.hallId, id.deviceId, 'session.start', {
        sessionId: 'sess-1', caseNumbers: ['C-1', 'C-2'], staff, item: { code: 'T-9', name: '不动产登记' }, rateUrl: 'https://hub.example/r/sess-1', expiresAt: new Date(Date.now() + 60_000).toISOString(),
      });
      await p.waitFor(() => p.results.some((r) => r.commandId === cmdId), 10_000, 'session.start result');
      expect(p.results.find((r) => r.commandId === cmdId)?.ok).toBe(true);
      expect(rt.view()).toMatchObject({ kind: 'prompt', staff, caseCount: 2, rateUrl: 'https://hub.example/r/sess-1' });
      expect(rt.handleInput({ kind: 'star', level: 1 }).view.kind).toBe('reasons');
      const f = rt.handleInput({ kind: 'reason-index', index: 2 });
      expect(f.view.kind).toBe('thanks');
      const rid = f.view.kind === 'thanks' ? f.view.ratingId : '';
      await p.waitFor(() => p.ratings.has(rid) && p.events.some((e) => e.sessionId === 'sess-1'), 10_000, 'rating + event');
      expect(p.ratings.get(rid)).toMatchObject({ sessionId: 'sess-1', caseNumbers: ['C-1', 'C-2'], staffId: 'st-7', itemCode: 'T-9', level: 1, indicators: ['A02'], origin: 'session', flags: [], indicatorVersion: 'ind-2026-1' });
      expect(p.events.find((e) => e.sessionId === 'sess-1')).toMatchObject({ outcome: 'rated', ratingId: rid });
      // An expired session is refused (the clock is trusted after time.sync).
      await p.waitFor(() => p.results.some((r) => r.type === 'time.sync'), 10_000, 'time.sync');
      const late = await p.sendCommand(id.hallId, id.deviceId, 'session.start', {
        sessionId: 'sess-old', caseNumbers: ['C-9'], staff, item: null, rateUrl: null, expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      await p.waitFor(() => p.results.some((r) => r.commandId === late), 10_000, 'expired session result');
      expect(p.results.find((r) => r.commandId === late)).toMatchObject({ ok: false, code: 'HCP_COMMAND_REFUSED' });
      // One rating per session: more presses change nothing.
      rt.handleInput({ kind: 'star', level: 5 });
      expect(rt.controller.ignored['already-rated']).toBe(1);
    });

    it('malformed acks and commands are counted and answered, never crash; rejected ratings are kept aside', async () => {
      const { rt, id } = await device(brokerUrl());
      const p = await peer(brokerUrl(), [[id.deviceId, randomBytes(32).toString('base64url')]]); // wrong key → rejected
      await until(() => rt.link?.current.kind === 'online');
      await p.sendRaw(id.hallId, id.deviceId, 'acks', '{not json');
      await p.sendRaw(id.hallId, id.deviceId, 'acks', JSON.stringify({ v: 1, at: 'x', items: [] }));
      await p.sendRaw(id.hallId, id.deviceId, 'commands', JSON.stringify({ v: 1, id: '0b0e6f4e-5f4a-4c9e-9d1e-2f0f1f7a3b11', at: new Date().toISOString(), type: 'self.destruct', args: {} }));
      await p.waitFor(() => p.results.some((r) => r.commandId === '0b0e6f4e-5f4a-4c9e-9d1e-2f0f1f7a3b11'), 10_000, 'unknown command result');
      expect(p.results.find((r) => r.commandId === '0b0e6f4e-5f4a-4c9e-9d1e-2f0f1f7a3b11')).toMatchObject({ ok: false, code: 'HCP_COMMAND_UNKNOWN' });
      await until(() => rt.link!.counters.badAcks === 2);
      press(rt, 3);
      await until(() => rt.outbox.rejectedCount() === 3, 10_000, 'rejected kept aside');
      expect(rt.outbox.backlog()).toBe(0);
      expect(rt.link?.current.kind).toBe('online');
    });

    it('config.update and indicators.set persist; display.message shows a banner; reboot restarts in-process', async () => {
      const { rt, id } = await device(brokerUrl(), { session: { responseIntervalMs: 0, walkUp: 'refuse' } });
      const p = await peer(brokerUrl(), [[id.deviceId, id.signingKey]]);
      await until(() => rt.link?.current.kind === 'online');
      const ids = [
        await p.sendCommand(id.hallId, id.deviceId, 'config.update', { settings: { walkUp: 'accept-flagged', thanksS: 2 } }),
        await p.sendCommand(id.hallId, id.deviceId, 'indicators.set', { list: { version: 'ind-9', items: [{ code: 'Z9', name: '等候时间长' }] } }),
        await p.sendCommand(id.hallId, id.deviceId, 'display.message', { text: '系统将于今晚维护', seconds: 60 }),
      ];
      await p.waitFor(() => ids.every((c) => p.results.some((r) => r.commandId === c && r.ok)), 10_000, 'results');
      expect(rt.settings()).toMatchObject({ walkUp: 'accept-flagged', thanksS: 2 });
      expect(rt.store.load()).toMatchObject({ settings: { walkUp: 'accept-flagged', thanksS: 2 }, indicators: { version: 'ind-9' } });
      expect(rt.frame().banner).toBe('系统将于今晚维护');
      expect(rt.handleInput({ kind: 'star', level: 1 }).view).toMatchObject({ kind: 'reasons', items: [{ code: 'Z9', name: '等候时间长' }] });
      const connects = rt.link!.counters.connects;
      const rb = await p.sendCommand(id.hallId, id.deviceId, 'reboot', {});
      await p.waitFor(() => p.results.some((r) => r.commandId === rb), 10_000, 'reboot result');
      await p.waitFor(() => p.statuses.get(id.deviceId)?.reason === 'reboot', 10_000, 'offline/reboot');
      await until(() => rt.link?.current.kind === 'online' && rt.link.counters.connects === 1 && connects >= 1, 10_000, 'back online after reboot');
    });

    it('publishes retained online status and telemetry; decommission wipes identity and shows the claim screen', async () => {
      const { rt, id } = await device(brokerUrl(), { telemetry: { intervalS: 1 } });
      const p = await peer(brokerUrl(), [[id.deviceId, id.signingKey]]);
      await p.waitFor(() => p.telemetry.length > 0 && p.statuses.get(id.deviceId)?.state === 'online', 10_000, 'telemetry');
      const t = p.telemetry.at(-1)!;
      expect(t.versions.protocol).toBe(1);
      expect(t.input.driver).toBe('none');
      expect(typeof t.uptimeS).toBe('number');
      await p.sendCommand(id.hallId, id.deviceId, 'decommission', {});
      await p.waitFor(() => p.statuses.get(id.deviceId)?.reason === 'decommissioned', 10_000, 'offline/decommissioned');
      await until(() => rt.provisioning.kind === 'waiting-claim', 10_000, 'claim screen');
      expect(rt.view()).toMatchObject({ kind: 'unprovisioned', claimCode: expect.stringMatching(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/) });
      expect(rt.identity).toBeNull();
      expect(rt.store.load()).toBeNull();
    });
  });
}

let broker: TestBroker | null = null;
describe('sync over in-process aedes', () => {
  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await broker?.close();
    broker = null;
  });
  suite('contract', () => broker!.url);

  it('survives a broker outage: ratings made offline drain after the broker is back (own backoff)', async () => {
    const port = Number(new URL(broker!.url).port);
    const { rt, id } = await device(broker!.url);
    await until(() => rt.link?.current.kind === 'online');
    await broker!.close();
    await until(() => rt.link?.current.kind !== 'online', 10_000, 'link down');
    const ids = press(rt, 250);
    expect(rt.outbox.backlog()).toBe(250);
    broker = await startBroker(port);
    const p = await peer(broker.url, [[id.deviceId, id.signingKey]]);
    await p.waitFor(() => ids.every((x) => p.ratings.has(x)), 20_000, 'drain after outage');
    await until(() => rt.outbox.backlog() === 0, 10_000, 'outbox empty');
    expect(rt.link!.counters.connects).toBeGreaterThanOrEqual(2);
  });

  it('acks lost with a dropped connection: ratings are sent again and the hub dedupes (exactly once stored)', async () => {
    const { rt, id } = await device(broker!.url);
    const p = await peer(broker!.url, [[id.deviceId, id.signingKey]], true);
    const ids = press(rt, 120);
    await p.waitFor(() => ids.every((x) => p.ratings.has(x)), 10_000, 'stored without acks');
    expect(rt.outbox.backlog()).toBe(120);
    p.holdAcks = false;
    broker!.kickAll(); // device reconnects and starts over from the oldest unacked row
    await until(() => rt.outbox.backlog() === 0, 15_000, 'acked after resend');
    expect(p.stats.stored).toBe(120);
    expect(p.stats.duplicate).toBeGreaterThanOrEqual(120);
  });
});

describe.skipIf(!process.env.HCP_TEST_MQTT_URL)('sync against Mosquitto (needs HCP_TEST_MQTT_URL)', () => {
  suite('mosquitto', () => process.env.HCP_TEST_MQTT_URL!);
});

describe('openClient', () => {
  it('mqtt:// runs over the socket it builds itself: connects, gets the PUBACK of a QoS 1 publish', async () => {
    const b = await startBroker();
    stops.push(() => b.close());
    const c = openClient(b.url, { clientId: 'oc-plain', reconnectPeriod: 0, writeCache: false });
    stops.push(() => new Promise<void>((r) => c.end(true, {}, () => r())));
    await new Promise<void>((res, rej) => {
      c.once('connect', () => res());
      c.once('error', rej);
    });
    const err = await new Promise<Error | null | undefined>((res) => c.publish('hcp/v1/t', 'x', { qos: 1 }, (e) => res(e)));
    expect(err ?? null).toBeNull();
    expect(c.options).toMatchObject({ protocol: 'mqtt', host: '127.0.0.1', port: Number(new URL(b.url).port), writeCache: false });
  });

  it('other schemes go through mqtt.connect (its TLS transport)', () => {
    const c = openClient('mqtts://127.0.0.1:1', { clientId: 'oc-tls', reconnectPeriod: 0, connectTimeout: 200 });
    c.on('error', () => undefined);
    expect(c.options.protocol).toBe('mqtts');
    c.end(true);
  });

  it('the device link asks mqtt.js not to pre-build its 65,536-entry packet-id buffer cache', async () => {
    const b = await startBroker();
    stops.push(() => b.close());
    const { rt } = await device(b.url);
    await until(() => rt.link?.current.kind === 'online');
    const client = (rt.link as unknown as { client: { options: { writeCache?: boolean } } }).client;
    expect(client.options.writeCache).toBe(false);
  });
});
