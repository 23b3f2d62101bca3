/** Per-device security on the embedded broker, over real MQTT connections. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { buildTopic } from '@hcp/protocol';
import { provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating, until } from '../helpers/publisher.js';

describe('embedded broker: authentication and topic ACLs', () => {
  let t: TestHub;
  let a: DevicePublisher;
  let b: DevicePublisher;
  beforeAll(async () => {
    t = await startTestHub();
    const pa = provisionDevice(t.hub);
    const pb = provisionDevice(t.hub, 'w-02');
    a = await new DevicePublisher(pa).connect();
    b = await new DevicePublisher(pb).connect();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await t?.stop();
  });

  it('refuses a wrong password, an unknown device and a client id that is not the device id', async () => {
    const url = t.hub.mqttUrl;
    const tryConnect = (o: mqtt.IClientOptions) => mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o });
    await expect(tryConnect({ username: a.creds.deviceId, password: 'x'.repeat(43), clientId: a.creds.deviceId })).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(tryConnect({ username: 'dev-nobody', password: a.creds.mqtt.password, clientId: 'dev-nobody' })).rejects.toThrow();
    await expect(tryConnect({ username: a.creds.deviceId, password: a.creds.mqtt.password, clientId: 'sneaky' })).rejects.toThrow();
    await expect(tryConnect({ clientId: 'anon' })).rejects.toThrow();
    expect(t.hub.metrics.value('hcp_hub_mqtt_refused_total', { what: 'connect' })).toBeGreaterThanOrEqual(4);
  });

  it("refuses a subscription to another device's acks or commands, and wildcards", async () => {
    // the broker answers SUBACK 0x80 per refused filter (mqtt.js turns that into an error)
    for (const filter of [buildTopic(b.creds.hallId, b.creds.deviceId, 'acks'), buildTopic(b.creds.hallId, b.creds.deviceId, 'commands'), 'hcp/v1/+/+/acks', '#']) {
      await expect(a.client.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    // counted before the client hears of the refusal: the broker thread sends SUBACK 0x80 only after the hub counted it
    expect(t.hub.metrics.value('hcp_hub_mqtt_refused_total', { what: 'subscribe' })).toBe(4);
    // nothing for b reaches a
    const r = makeRating(b.creds);
    await b.publishRatings([r]);
    await b.waitAcks([r.id]);
    expect(a.messages.some((m) => m.topic.includes(b.creds.deviceId))).toBe(false);
    const own = await a.client.subscribeAsync(buildTopic(a.creds.hallId, a.creds.deviceId, 'commands'), { qos: 1 });
    expect(own[0]!.qos).toBe(1);
  });

  it("a device publishing on another device's ratings topic is cut off and nothing is stored", async () => {
    const spy = await new DevicePublisher(provisionDevice(t.hub, 'w-03')).connect();
    const forged = makeRating(b.creds);
    const closed = new Promise<void>((r) => spy.client.once('close', () => r()));
    spy.client.publish(buildTopic(b.creds.hallId, b.creds.deviceId, 'ratings'), JSON.stringify({ v: 1, ratings: [forged] }), { qos: 1 });
    await closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id = ?').get(forged.id)).toEqual({ n: 0 });
    expect(b.acks.has(forged.id)).toBe(false);
    expect(t.hub.metrics.value('hcp_hub_mqtt_refused_total', { what: 'publish' })).toBeGreaterThanOrEqual(1);
    await spy.close();
  });

  it('a device may not publish on its own subscribe-only topics (acks, commands)', async () => {
    const spy = await new DevicePublisher(provisionDevice(t.hub, 'w-04')).connect();
    const closed = new Promise<void>((r) => spy.client.once('close', () => r()));
    spy.client.publish(buildTopic(spy.creds.hallId, spy.creds.deviceId, 'acks'), '{}', { qos: 1 });
    await closed;
    await spy.close();
  });

  it('a decommissioned device is disconnected at once, refused on reconnect, and gets the decommission command first', async () => {
    const victim = await new DevicePublisher(provisionDevice(t.hub, 'w-05')).connect();
    const closed = new Promise<void>((r) => victim.client.once('close', () => r()));
    const res = await t.hub.services.provisioning.decommission(victim.creds.deviceId, 'user:test');
    expect(res.disconnected).toBe(true);
    await closed;
    expect(victim.commands('decommission')).toHaveLength(1);
    await expect(new DevicePublisher(victim.creds).connect()).rejects.toThrow();
    // and a rating it had signed before is rejected if relayed by anyone
    await until(() => t.hub.services.registry.getDevice(victim.creds.deviceId)?.state === 'revoked');
    await victim.close();
  });
});
