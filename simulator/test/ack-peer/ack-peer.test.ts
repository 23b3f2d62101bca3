import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { Ack, buildTopic, decodeJson, signRating, uuidv7, type Rating } from '@hcp/protocol';
import { AckPeer } from '../../src/ack-peer/ack-peer.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const key = randomBytes(32).toString('base64url');
const fill = (b: Uint8Array): Uint8Array => {
  randomBytes(b.length).copy(b);
  return b;
};
function rating(seq: number, k = key): Rating {
  return signRating({
    v: 1, id: uuidv7(Date.now(), fill), hallId: 'h1', deviceId: 'd1', windowId: 'w1', sessionId: null, caseNumbers: [], staffId: null, itemCode: null,
    level: 4, indicators: [], indicatorVersion: null, channel: 5, assessNumber: 1, origin: 'walk-up', flags: ['walk-up'], givenAt: new Date().toISOString(),
    clock: { trusted: true, source: 'ntp', bootId: 'b', monoMs: 1 }, seq,
  }, k);
}

describe('acking peer', () => {
  it('verifies, stores once, acks stored / duplicate / rejected by id', async () => {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cleanup.push(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    });
    const peer = new AckPeer({ url, keys: new Map([['d1', key]]) });
    await peer.start();
    cleanup.push(() => peer.stop());
    const dev = await mqtt.connectAsync(url, { clientId: 'd1', username: 'd1', password: 'x' });
    cleanup.push(() => dev.endAsync(true));
    const acks: Ack[] = [];
    dev.on('message', (_t, p) => {
      const r = decodeJson(Ack, p);
      if (r.ok) acks.push(r.value);
    });
    await dev.subscribeAsync(buildTopic('h1', 'd1', 'acks'), { qos: 1 });
    const a = rating(1);
    const forged = rating(2, randomBytes(32).toString('base64url'));
    await dev.publishAsync(buildTopic('h1', 'd1', 'ratings'), JSON.stringify({ v: 1, ratings: [a, forged] }), { qos: 1 });
    await dev.publishAsync(buildTopic('h1', 'd1', 'ratings'), JSON.stringify({ v: 1, ratings: [a] }), { qos: 1 });
    await dev.publishAsync(buildTopic('h1', 'd1', 'ratings'), '{broken', { qos: 1 });
    await peer.waitFor(() => peer.stats.batches === 2 && peer.stats.badPayloads === 1, 5000);
    const end = Date.now() + 5000;
    while (acks.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(acks.map((x) => x.items)).toEqual([
      [{ id: a.id, result: 'stored' }, { id: forged.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' }],
      [{ id: a.id, result: 'duplicate' }],
    ]);
    expect(peer.stats).toMatchObject({ stored: 1, duplicate: 1, rejected: 1, received: 3 });
  });
});
