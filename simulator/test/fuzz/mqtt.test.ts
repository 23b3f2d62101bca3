/**
 * Fuzz (bounded, seeded) of the hub's MQTT ingest against a real hub (embedded broker, real SQLite):
 * malformed and oversized payloads, schema-invalid ratings, bad signatures and wrong topics. The hub
 * stays up, every reject of a readable rating is acked `rejected` with a catalog code, unreadable
 * payloads and forbidden topics are counted (/metrics), and a valid rating is still stored after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub, makeConfig } from '@hcp/hub';
import { buildTopic, isErrorCode, signRating, uuidv7, type Ack, type ProvisionResponse, type Rating, type UnsignedRating } from '@hcp/protocol';
import { until } from '../chaos/helpers.js';

const SEED = 8_2026;
let dir: string;
let hub: Hub;
let httpUrl: string;
let dev: ProvisionResponse;
let other: ProvisionResponse;
let client: MqttClient;
const acks = new Map<string, Ack['items'][number]>();

function provision(windowId: string, hw: string): ProvisionResponse {
  const s = hub.services;
  if (!s.registry.getStaff('staff-007')) s.registry.createStaff({ id: 'staff-007', name: '王晓燕', number: 'A0107', starLevel: 5 }, 'fuzz');
  s.registry.createWindow({ id: windowId, hallId: hub.config.hallId, name: `${windowId} 窗口`, staffId: 'staff-007' }, 'fuzz');
  const { code } = s.provisioning.createCode(windowId, 'fuzz');
  const r = s.provisioning.exchange({ v: 1, claimCode: code, hardwareId: hw, model: 'pi4', appVersion: '0.1.0' }, { hubUrl: httpUrl, mqttUrl: hub.mqttUrl });
  if (r.kind !== 'issued') throw new Error(`provisioning failed: ${r.kind}`);
  return r.response;
}

let seq = 0;
function unsigned(d: ProvisionResponse): UnsignedRating {
  const now = Date.now();
  seq++;
  return {
    v: 1, id: uuidv7(now, (b) => randomBytes(b.length)), hallId: d.hallId, deviceId: d.deviceId, windowId: d.windowId,
    sessionId: null, caseNumbers: [], staffId: 'staff-007', itemCode: null, level: 4, indicators: [], indicatorVersion: null, channel: 5,
    assessNumber: 1, origin: 'staff-key', flags: [], givenAt: new Date(now).toISOString(),
    clock: { trusted: true, source: 'ntp', bootId: 'boot-fuzz', monoMs: seq }, seq,
  };
}

async function connect(d: ProvisionResponse): Promise<MqttClient> {
  const c = await mqtt.connectAsync(hub.mqttUrl, { username: d.mqtt.username, password: d.mqtt.password, clientId: d.mqtt.clientId, reconnectPeriod: 0, clean: true, connectTimeout: 5000 });
  c.on('error', () => undefined);
  return c;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).some(([k, v]) => !line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const ratingsTopic = (d: ProvisionResponse): string => buildTopic(d.hallId, d.deviceId, 'ratings');

async function publishAndAck(r: unknown, id: string): Promise<Ack['items'][number]> {
  await client.publishAsync(ratingsTopic(dev), JSON.stringify({ v: 1, ratings: [r] }), { qos: 1 });
  await until(() => acks.has(id), 15_000, `ack for ${id}`);
  return acks.get(id)!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hcp-fuzz-mqtt-'));
  hub = new Hub(makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent' }), { logger: pino({ level: 'silent' }) });
  httpUrl = (await hub.start()).httpUrl;
  dev = provision('w-01', 'hw-fuzz-1');
  other = provision('w-02', 'hw-fuzz-2');
  await openMain();
});

/** The device's main connection, collecting acks (a second connection with its client id replaces it). */
async function openMain(): Promise<void> {
  await client?.endAsync(true).catch(() => undefined);
  client = await connect(dev);
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/acks')) for (const it of (JSON.parse(payload.toString('utf8')) as Ack).items) acks.set(it.id, it);
  });
  await client.subscribeAsync(buildTopic(dev.hallId, dev.deviceId, 'acks'), { qos: 1 });
}

afterAll(async () => {
  await client?.endAsync(true).catch(() => undefined);
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: MQTT payloads and topics against a real hub', () => {
  it('unreadable and oversized payloads on the own ratings topic are counted rejects, never a crash', async () => {
    const payloads = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 512 }).map((a) => Buffer.from(a)),
      fc.json().map((j) => Buffer.from(j)),
      fc.record({ v: fc.anything(), ratings: fc.oneof(fc.anything(), fc.array(fc.anything(), { maxLength: 5 })) }).map((o) => Buffer.from(JSON.stringify(o) ?? 'null')),
    );
    await fc.assert(fc.asyncProperty(payloads, async (p) => {
      const before = await metric('hcp_hub_ratings_total', { result: 'rejected' });
      const stored = await metric('hcp_hub_ratings_total', { result: 'stored' });
      await client.publishAsync(ratingsTopic(dev), p, { qos: 1 });
      // every fuzzed message is a reject somewhere: the whole payload, or each entry of its list;
      // an empty list is the only message with nothing to reject
      let entries = 1;
      try {
        const j = JSON.parse(p.toString('utf8')) as { ratings?: unknown };
        if (j && typeof j === 'object' && Array.isArray(j.ratings)) entries = j.ratings.length;
      } catch {
        entries = 1;
      }
      if (entries > 0) await until(async () => (await metric('hcp_hub_ratings_total', { result: 'rejected' })) >= before + entries, 15_000, 'reject counted');
      expect(await metric('hcp_hub_ratings_total', { result: 'stored' })).toBe(stored);
    }), { numRuns: 40, seed: SEED });
    // oversized: 300 entries (the first 200 are checked, the rest refused) and 512 KiB of garbage
    const big = Array.from({ length: 300 }, () => signRating(unsigned(dev), dev.signingKey));
    await client.publishAsync(ratingsTopic(dev), JSON.stringify({ v: 1, ratings: big }), { qos: 1 });
    await until(() => big.every((r) => acks.has(r.id)), 15_000, 'acks for an oversized batch');
    expect(big.slice(200).every((r) => acks.get(r.id)!.result === 'rejected' && acks.get(r.id)!.code === 'HCP_VALIDATION')).toBe(true);
    const before = await metric('hcp_hub_ratings_total', { result: 'rejected', code: 'HCP_JSON_MALFORMED' });
    await client.publishAsync(ratingsTopic(dev), randomBytes(512 * 1024), { qos: 1 });
    await until(async () => (await metric('hcp_hub_ratings_total', { result: 'rejected', code: 'HCP_JSON_MALFORMED' })) > before, 15_000, 'garbage counted');
  }, 90_000);

  it('schema-invalid ratings with a readable id are acked rejected with a catalog code', async () => {
    const field = fc.constantFrom('level', 'hallId', 'givenAt', 'caseNumbers', 'clock', 'seq', 'origin', 'channel', 'indicators', 'extra');
    const value = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 300 }), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
    await fc.assert(fc.asyncProperty(field, value, async (f, v) => {
      const r = { ...signRating(unsigned(dev), dev.signingKey), [f]: v } as Record<string, unknown>;
      const a = await publishAndAck(r, r.id as string);
      // a mutation can leave the rating schema-valid (e.g. another level): then the signature no longer matches
      expect(a.result).toBe('rejected');
      expect(isErrorCode(a.code)).toBe(true);
      expect(['HCP_VALIDATION', 'HCP_SIGNATURE_INVALID', 'HCP_TOPIC_FORBIDDEN']).toContain(a.code);
    }), { numRuns: 40, seed: SEED });
  }, 60_000);

  it('bad signatures (flipped, foreign key, missing) are acked HCP_SIGNATURE_INVALID or HCP_VALIDATION', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: 2 }), fc.nat(), async (kind, pos) => {
      const good = signRating(unsigned(dev), dev.signingKey);
      let bad: Rating | Record<string, unknown>;
      if (kind === 0) {
        const s = good.sig;
        const i = pos % s.length;
        bad = { ...good, sig: s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1) };
      } else if (kind === 1) bad = { ...good, sig: signRating(unsigned(dev), other.signingKey).sig };
      else bad = Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'sig'));
      const a = await publishAndAck(bad, good.id);
      expect(a.result).toBe('rejected');
      expect(kind === 2 ? 'HCP_VALIDATION' : 'HCP_SIGNATURE_INVALID').toBe(a.code);
    }), { numRuns: 30, seed: SEED });
  }, 60_000);

  it('wrong topics are refused by the broker and counted; another device’s topic too', async () => {
    const topics = fc.oneof(
      fc.constant(ratingsTopic(other)),
      fc.constant(buildTopic(dev.hallId, dev.deviceId, 'commands')),
      fc.constant(buildTopic('hall-x', dev.deviceId, 'ratings')),
      fc.stringMatching(/^[a-z0-9/._-]{1,60}$/).filter((t) => !t.startsWith(`hcp/`)),
    );
    await fc.assert(fc.asyncProperty(topics, async (topic) => {
      const before = await metric('hcp_hub_mqtt_refused_total', { what: 'publish' });
      const c = await connect(dev);
      c.publish(topic, JSON.stringify({ v: 1, ratings: [signRating(unsigned(dev), dev.signingKey)] }), { qos: 1 }, () => undefined);
      await until(async () => (await metric('hcp_hub_mqtt_refused_total', { what: 'publish' })) > before, 15_000, 'refusal counted');
      await c.endAsync(true).catch(() => undefined);
    }), { numRuns: 15, seed: SEED });
    // subscribing to another device's acks is refused as well
    const before = await metric('hcp_hub_mqtt_refused_total', { what: 'subscribe' });
    const c = await connect(dev);
    const granted = await c.subscribeAsync(buildTopic(other.hallId, other.deviceId, 'acks'), { qos: 1 }).catch(() => []);
    expect(granted.every((g) => g.qos === 128)).toBe(true);
    expect(await metric('hcp_hub_mqtt_refused_total', { what: 'subscribe' })).toBeGreaterThan(before);
    await c.endAsync(true).catch(() => undefined);
    await openMain();
  }, 60_000);

  it('after all of it the hub is up and stores a valid rating', async () => {
    const r = signRating(unsigned(dev), dev.signingKey);
    expect((await publishAndAck(r, r.id)).result).toBe('stored');
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
  });
});
