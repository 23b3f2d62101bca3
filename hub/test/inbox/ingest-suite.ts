/**
 * The ingest suite, run against the embedded broker (ingest.test.ts) and against an external
 * Mosquitto (ingest-mosquitto.test.ts): stored, duplicate stored once, forged and altered
 * signatures refused, invalid input rejected with a code and never acked as stored.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTopic, signRating } from '@hcp/protocol';
import { provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating, until } from '../helpers/publisher.js';

export function ingestSuite(overrides: Record<string, unknown> = {}): void {
  let t: TestHub;
  let dev: DevicePublisher;

  beforeAll(async () => {
    t = await startTestHub(overrides);
    const p = provisionDevice(t.hub);
    dev = await new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: t.hub.mqttUrl } }).connect();
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  const count = (id: string): number => (t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id = ?').get(id) as { n: number }).n;

  it('stores a signed rating once and acks it after the commit', async () => {
    const r = makeRating(dev.creds);
    await dev.publishRatings([r]);
    const [ack] = await dev.waitAcks([r.id]);
    expect(ack).toEqual({ id: r.id, result: 'stored' });
    expect(count(r.id)).toBe(1);
    const row = t.hub.db.prepare('SELECT body FROM ratings WHERE id = ?').get(r.id) as { body: string };
    expect(JSON.parse(row.body)).toEqual(r);
  });

  it('a re-sent rating is acked as duplicate, counted, and stored once', async () => {
    const r = makeRating(dev.creds, { level: 4 });
    await dev.publishRatings([r]);
    await dev.waitAcks([r.id]);
    dev.acks.delete(r.id);
    const before = t.hub.metrics.value('hcp_hub_ratings_total', { result: 'duplicate' });
    await dev.publishRatings([r, r]);
    const [ack] = await dev.waitAcks([r.id]);
    expect(ack!.result).toBe('duplicate');
    expect(t.hub.metrics.value('hcp_hub_ratings_total', { result: 'duplicate' })).toBe(before + 2);
    expect(count(r.id)).toBe(1);
  });

  it('a batch of many ratings is stored in order with one ack message', async () => {
    const rs = Array.from({ length: 50 }, (_, i) => makeRating(dev.creds, { level: ((i % 5) + 1) as 1, indicators: i % 5 < 2 ? ['501'] : [] }));
    const acksBefore = dev.messages.filter((m) => m.topic.endsWith('/acks')).length;
    await dev.publishRatings(rs);
    const acks = await dev.waitAcks(rs.map((r) => r.id));
    expect(acks.every((a) => a.result === 'stored')).toBe(true);
    expect(dev.messages.filter((m) => m.topic.endsWith('/acks')).length).toBe(acksBefore + 1);
  });

  it('a forged signature (wrong key) is rejected and not stored', async () => {
    const r = makeRating({ ...dev.creds, signingKey: Buffer.alloc(32, 7).toString('base64url') });
    await dev.publishRatings([r]);
    const [ack] = await dev.waitAcks([r.id]);
    expect(ack).toEqual({ id: r.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' });
    expect(count(r.id)).toBe(0);
  });

  it('an altered rating (level changed after signing) is rejected and not stored', async () => {
    const r = { ...makeRating(dev.creds, { level: 1, indicators: ['501'] }), level: 5 as const };
    await dev.publishRatings([r]);
    const [ack] = await dev.waitAcks([r.id]);
    expect(ack).toEqual({ id: r.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' });
    expect(count(r.id)).toBe(0);
  });

  it('a rating naming another device is rejected even when correctly signed', async () => {
    const other = signRating({ ...makeRating(dev.creds), deviceId: 'dev-someone-else' }, dev.creds.signingKey);
    await dev.publishRatings([other]);
    const [ack] = await dev.waitAcks([other.id]);
    expect(ack).toMatchObject({ result: 'rejected', code: 'HCP_TOPIC_FORBIDDEN' });
    expect(count(other.id)).toBe(0);
  });

  it('an invalid rating in a batch is rejected alone; its valid neighbours are stored', async () => {
    const good = makeRating(dev.creds);
    const bad = { ...makeRating(dev.creds), level: 9 };
    await dev.publishRatings([good, bad as never]);
    const acks = await dev.waitAcks([good.id, bad.id]);
    expect(acks.map((a) => a.result)).toEqual(['stored', 'rejected']);
    expect(acks[1]!.code).toBe('HCP_VALIDATION');
  });

  it('garbage payloads are counted, never crash the hub, and the next rating still goes through', async () => {
    const topic = buildTopic(dev.creds.hallId, dev.creds.deviceId, 'ratings');
    const before = t.hub.metrics.value('hcp_hub_ratings_total', { result: 'rejected', code: 'HCP_JSON_MALFORMED' });
    await dev.publishRaw(topic, Buffer.from([0xff, 0x00, 0x7b]));
    await dev.publishRaw(topic, '{"v":1,"ratings":"nope"}');
    await dev.publishRaw(topic, '{"v":2,"ratings":[{"id":"019a8f3c-5e2b-7c4d-8a1b-2c3d4e5f6a7b"}]}');
    await until(() => t.hub.metrics.value('hcp_hub_ratings_total', { result: 'rejected', code: 'HCP_JSON_MALFORMED' }) === before + 1, 10_000, 'malformed counted');
    await dev.waitAcks(['019a8f3c-5e2b-7c4d-8a1b-2c3d4e5f6a7b']);
    expect(dev.acks.get('019a8f3c-5e2b-7c4d-8a1b-2c3d4e5f6a7b')).toMatchObject({ result: 'rejected', code: 'HCP_VERSION_UNSUPPORTED' });
    const r = makeRating(dev.creds);
    await dev.publishRatings([r]);
    expect((await dev.waitAcks([r.id]))[0]!.result).toBe('stored');
  });
}
