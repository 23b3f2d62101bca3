import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSuite } from './ingest-suite.js';
import { provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { buildTopic } from '@hcp/protocol';
import type { StoredRating } from '../../src/inbox/ingest.js';

describe('ingest over the embedded broker', () => {
  ingestSuite();
});

describe('ingest hooks and clock correction', () => {
  let t: TestHub;
  let dev: DevicePublisher;
  beforeAll(async () => {
    t = await startTestHub();
    t.hub.db.exec('CREATE TABLE hook_outbox (rating_id TEXT PRIMARY KEY)');
    const p = provisionDevice(t.hub);
    dev = await new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: t.hub.mqttUrl } }).connect();
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  it('a hook writes in the same transaction; a throwing hook rolls the rating back and it is not acked', async () => {
    const seen: StoredRating[] = [];
    let fail = true;
    const off = t.hub.onRatingStored((tx, s) => {
      seen.push(s);
      tx.prepare('INSERT INTO hook_outbox (rating_id) VALUES (?)').run(s.rating.id);
      if (fail) throw new Error('hook failed');
    });
    const r = makeRating(dev.creds);
    const other = makeRating(dev.creds);
    await dev.publishRatings([r]);
    await dev.publishRatings([other]);
    await new Promise((res) => setTimeout(res, 300));
    expect(dev.acks.has(r.id)).toBe(false);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id IN (?, ?)').get(r.id, other.id)).toEqual({ n: 0 });
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM hook_outbox').get()).toEqual({ n: 0 });
    fail = false;
    await dev.publishRatings([r]); // the device re-sends
    expect((await dev.waitAcks([r.id]))[0]!.result).toBe('stored');
    expect(t.hub.db.prepare('SELECT rating_id FROM hook_outbox').all()).toEqual([{ rating_id: r.id }]);
    // a duplicate does not run hooks again
    const n = seen.length;
    dev.acks.delete(r.id);
    await dev.publishRatings([r]);
    await dev.waitAcks([r.id]);
    expect(seen.length).toBe(n);
    off();
  });

  it('untrusted-clock ratings are corrected once a trusted rating of the same boot arrives; the original is kept', async () => {
    const boot = 'boot-untrusted-1';
    const corrections: { ratingIds: readonly string[]; offsetMs: number; inTx: boolean }[] = [];
    const off = t.hub.onRatingsCorrected((tx, c) => corrections.push({ ratingIds: c.ratingIds, offsetMs: c.offsetMs, inTx: tx.inTransaction }));
    const early = makeRating(dev.creds, { givenAt: '1970-01-01T00:00:10.000Z', clock: { trusted: false, source: 'none', bootId: boot, monoMs: 10_000 }, flags: ['clock-untrusted'] });
    await dev.publishRatings([early]);
    await dev.waitAcks([early.id]);
    const row1 = t.hub.db.prepare('SELECT corrected_given_at AS c, flags FROM ratings WHERE id = ?').get(early.id) as { c: string | null; flags: string };
    expect(row1.c).toBeNull();
    // trusted: wall 2026-11-21T02:00:00Z at mono 70 s → offset = wall − 70 s
    const later = makeRating(dev.creds, { givenAt: '2026-11-21T02:00:00.000Z', clock: { trusted: true, source: 'hub', bootId: boot, monoMs: 70_000 } });
    await dev.publishRatings([later]);
    await dev.waitAcks([later.id]);
    const row2 = t.hub.db.prepare('SELECT corrected_given_at AS c, given_at AS g, flags FROM ratings WHERE id = ?').get(early.id) as { c: string; g: string; flags: string };
    expect(row2.c).toBe('2026-11-21T01:59:00.000Z');
    expect(row2.g).toBe('1970-01-01T00:00:10.000Z');
    expect(JSON.parse(row2.flags)).toEqual(['clock-untrusted', 'clock-corrected']);
    expect(corrections).toEqual([{ ratingIds: [early.id], offsetMs: Date.parse('2026-11-21T01:58:50.000Z'), inTx: true }]);
    off();
    // a rating of that boot arriving now is corrected at ingest
    const after = makeRating(dev.creds, { givenAt: '1970-01-01T00:00:20.000Z', clock: { trusted: false, source: 'none', bootId: boot, monoMs: 20_000 } });
    await dev.publishRatings([after]);
    await dev.waitAcks([after.id]);
    expect(t.hub.db.prepare('SELECT corrected_given_at AS c, flags FROM ratings WHERE id = ?').get(after.id)).toEqual({ c: '2026-11-21T01:59:10.000Z', flags: '["clock-corrected"]' });
  });
});

describe('acks per commit', () => {
  let t: TestHub;
  let a: DevicePublisher;
  let b: DevicePublisher;
  beforeAll(async () => {
    t = await startTestHub();
    const pa = provisionDevice(t.hub, 'w-a');
    const pb = provisionDevice(t.hub, 'w-b');
    a = await new DevicePublisher({ ...pa, mqtt: { ...pa.mqtt, url: t.hub.mqttUrl } }).connect();
    b = await new DevicePublisher({ ...pb, mqtt: { ...pb.mqtt, url: t.hub.mqttUrl } }).connect();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await t?.stop();
  });

  it('the messages of one device committed together are answered by one ack; each device gets its own', async () => {
    // fed to the inbox directly so that all four messages are in one commit, whatever the timing
    const [a1, a2, a3, b1] = [makeRating(a.creds), makeRating(a.creds), makeRating(a.creds, { level: 4 }), makeRating(b.creds)];
    const forged = { ...makeRating(a.creds), level: 1 as const, indicators: ['501'] };
    const acksOf = (d: DevicePublisher): number => d.messages.filter((m) => m.topic.endsWith('/acks')).length;
    const [beforeA, beforeB] = [acksOf(a), acksOf(b)];
    const push = (d: DevicePublisher, ratings: unknown[]): void =>
      t.hub.inbox.push(buildTopic(d.creds.hallId, d.creds.deviceId, 'ratings'), Buffer.from(JSON.stringify({ v: 1, ratings })));
    push(a, [a1]);
    push(b, [b1]);
    push(a, [a2, forged]);
    push(a, [a1, a3]); // a1 again in the same commit: stored once, acked as duplicate
    const commits = t.hub.metrics.value('hcp_hub_inbox_commits_total');
    t.hub.inbox.flush();
    expect(t.hub.metrics.value('hcp_hub_inbox_commits_total')).toBe(commits + 1);
    await a.waitAcks([a1.id, a2.id, a3.id, forged.id]);
    await b.waitAcks([b1.id]);
    await new Promise((r) => setTimeout(r, 100)); // no second ack follows
    expect(acksOf(a)).toBe(beforeA + 1);
    expect(acksOf(b)).toBe(beforeB + 1);
    const ack = a.messages.filter((m) => m.topic.endsWith('/acks')).at(-1)!.payload as { items: unknown[] };
    expect(ack.items).toEqual([
      { id: a1.id, result: 'stored' },
      { id: a2.id, result: 'stored' },
      { id: forged.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' },
      { id: a1.id, result: 'duplicate' },
      { id: a3.id, result: 'stored' },
    ]);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id IN (?, ?, ?, ?, ?)').get(a1.id, a2.id, a3.id, b1.id, forged.id)).toEqual({ n: 4 });
  });

  it('more than an ack holds (200 items) is split over several acks, none lost', async () => {
    const ratings = Array.from({ length: 250 }, () => makeRating(a.creds, { level: 3 }));
    const before = a.messages.filter((m) => m.topic.endsWith('/acks')).length;
    for (let i = 0; i < ratings.length; i += 50) {
      t.hub.inbox.push(buildTopic(a.creds.hallId, a.creds.deviceId, 'ratings'), Buffer.from(JSON.stringify({ v: 1, ratings: ratings.slice(i, i + 50) })));
    }
    t.hub.inbox.flush();
    const acks = await a.waitAcks(ratings.map((r) => r.id));
    expect(acks.every((x) => x.result === 'stored')).toBe(true);
    const sizes = a.messages.filter((m) => m.topic.endsWith('/acks')).slice(before).map((m) => (m.payload as { items: unknown[] }).items.length);
    expect(sizes).toEqual([200, 50]);
  });
});

describe('schema and signature checks on the broker thread', () => {
  let t: TestHub;
  let dev: DevicePublisher;
  beforeAll(async () => {
    t = await startTestHub();
    const p = provisionDevice(t.hub);
    dev = await new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: t.hub.mqttUrl } }).connect();
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });
  const checked = (by: string): number => t.hub.metrics.value('hcp_hub_ratings_checked_total', { by });

  it('a connected device\'s valid ratings are checked by the broker thread; anything it does not vouch for is checked and rejected here', async () => {
    const [b0, h0] = [checked('broker'), checked('hub')];
    const good = makeRating(dev.creds);
    await dev.publishRatings([good]);
    expect((await dev.waitAcks([good.id]))[0]!.result).toBe('stored');
    expect([checked('broker') - b0, checked('hub') - h0]).toEqual([1, 0]);

    const altered = { ...makeRating(dev.creds, { level: 1, indicators: ['501'] }), level: 5 as const };
    const fine = makeRating(dev.creds);
    await dev.publishRatings([fine, altered]); // one bad rating: the broker thread vouches for none of the message
    const acks = await dev.waitAcks([fine.id, altered.id]);
    expect(acks.map((a) => a.result)).toEqual(['stored', 'rejected']);
    expect(acks[1]!.code).toBe('HCP_SIGNATURE_INVALID');
    expect([checked('broker') - b0, checked('hub') - h0]).toEqual([1, 2]);
  });

  it('a check made with a key that is no longer the device\'s counts for nothing', async () => {
    const forged = makeRating({ ...dev.creds, signingKey: Buffer.alloc(32, 9).toString('base64url') });
    const h0 = checked('hub');
    // as if the broker thread had vouched with an old key of this device
    t.hub.inbox.push(buildTopic(dev.creds.hallId, dev.creds.deviceId, 'ratings'), Buffer.from(JSON.stringify({ v: 1, ratings: [forged] })), { sigKey: Buffer.alloc(32, 9) });
    t.hub.inbox.flush();
    const [ack] = await dev.waitAcks([forged.id]);
    expect(ack).toEqual({ id: forged.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' });
    expect(checked('hub') - h0).toBe(1);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id = ?').get(forged.id)).toEqual({ n: 0 });
  });
});
