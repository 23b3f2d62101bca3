/**
 * An external Mosquitto 2 secured with the files the hub writes (passwd + acl, no plugin): the hub
 * connects as its privileged user, devices only with their own credentials and topics. Runs a
 * private mosquitto process on a free port (needs /usr/sbin/mosquitto).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildTopic } from '@hcp/protocol';
import { migrate, openDb } from '../../src/db/db.js';
import { loadSecrets } from '../../src/secrets.js';
import { writeMosquittoFiles } from '../../src/broker/mosquitto.js';
import { provisionDevice, startTestHub, type TestHub } from '../helpers/hub.js';
import { DevicePublisher, makeRating, until } from '../helpers/publisher.js';
import { restartablePort } from '@hcp/simulator';

const MOSQUITTO = '/usr/sbin/mosquitto';

describe.skipIf(!existsSync(MOSQUITTO))('external Mosquitto with hub-written passwd/acl files (needs mosquitto binary)', () => {
  let dir: string;
  let mq: ChildProcess;
  let port: number;
  let t: TestHub;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-mosq-'));
    const data = join(dir, 'data');
    const conf = join(dir, 'mosq');
    mkdirSync(data);
    mkdirSync(conf);
    // first start of a hub data dir: secrets and schema exist before the broker starts
    const db = openDb(join(data, 'hub.db'));
    await migrate(db);
    writeMosquittoFiles(db, loadSecrets(data).mqtt, 'hall-1', conf);
    db.close();
    port = await restartablePort();
    writeFileSync(join(conf, 'mosquitto.conf'), [
      // as root, mosquitto would drop to its own user, which cannot read files in our 0700 temp dir
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${join(conf, 'passwd')}`, `acl_file ${join(conf, 'acl')}`, 'persistence false', '',
    ].join('\n'));
    mq = spawn(MOSQUITTO, ['-c', join(conf, 'mosquitto.conf')], { stdio: 'ignore' });
    await until(async () => {
      try {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
        await c.endAsync();
        return true;
      } catch (err) {
        return /Not authorized|Bad username/i.test(String(err));
      }
    }, 10_000, 'mosquitto up');
    t = await startTestHub({ mqttUrl: `mqtt://127.0.0.1:${port}`, mosquittoDir: conf }, { keepDir: data });
  });
  afterAll(async () => {
    await t?.stop();
    mq?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const reload = async (): Promise<void> => {
    mq.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
  };

  it('anonymous clients are refused; a provisioned device connects after reload and its ratings are stored once', async () => {
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow();
    const p = provisionDevice(t.hub);
    await reload();
    const dev = await new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: `mqtt://127.0.0.1:${port}` } }).connect();
    const r = makeRating(dev.creds);
    await dev.publishRatings([r]);
    expect((await dev.waitAcks([r.id]))[0]!.result).toBe('stored');
    dev.acks.delete(r.id);
    await dev.publishRatings([r]);
    expect((await dev.waitAcks([r.id]))[0]!.result).toBe('duplicate');
    await expect(new DevicePublisher({ ...p, mqtt: { ...p.mqtt, url: `mqtt://127.0.0.1:${port}`, password: 'x'.repeat(43) } }).connect()).rejects.toThrow();
    await dev.close();
  });

  it("the broker's ACL keeps a device off other devices' topics; decommission + reload refuses its next connect", async () => {
    const pa = provisionDevice(t.hub, 'w-02');
    const pb = provisionDevice(t.hub, 'w-03');
    await reload();
    const url = `mqtt://127.0.0.1:${port}`;
    const a = await new DevicePublisher({ ...pa, mqtt: { ...pa.mqtt, url } }).connect();
    const b = await new DevicePublisher({ ...pb, mqtt: { ...pb.mqtt, url } }).connect();
    // mosquitto drops a forbidden publish silently: nothing reaches the hub
    const forged = makeRating(pb);
    await a.publishRaw(buildTopic(pb.hallId, pb.deviceId, 'ratings'), JSON.stringify({ v: 1, ratings: [forged] }));
    // subscribing to b's acks is refused or never delivers: b's own ack must not reach a
    await a.client.subscribeAsync(buildTopic(pb.hallId, pb.deviceId, 'acks'), { qos: 1 }).catch(() => undefined);
    const own = makeRating(pb);
    await b.publishRatings([own]);
    await b.waitAcks([own.id]);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE id = ?').get(forged.id)).toEqual({ n: 0 });
    expect(a.messages.some((m) => m.topic.includes(pb.deviceId))).toBe(false);
    await t.hub.services.provisioning.decommission(pa.deviceId, 'user:test');
    await reload();
    await a.close();
    await expect(new DevicePublisher({ ...pa, mqtt: { ...pa.mqtt, url } }).connect()).rejects.toThrow();
    await b.close();
  });
});
