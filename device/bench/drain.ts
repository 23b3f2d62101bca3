/**
 * Backlog drain: N signed ratings already in the outbox, the device connects and drains them to an
 * acking peer (own process) over a real broker (own process) until the outbox is empty. Baseline:
 * the same broker moving the same payloads (one batch per QoS 1 message) from one raw mqtt.js
 * publisher to one raw subscriber, as ratings per second.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pino from 'pino';
import { signRating, uuidv7, type Rating } from '@hcp/protocol';
import { DeviceRuntime } from '@hcp/device/runtime';
import { loadConfig } from '@hcp/device/config/load';
import { IdentityStore } from '@hcp/device/provisioning/identity';
import { Outbox } from '@hcp/device/outbox/outbox';
import { identity } from './fixtures.js';
import { HERE, spawnJson, stopChild } from './children.js';
import { progress } from './stats.js';
import { join as pjoin } from 'node:path';

const fill = (b: Uint8Array): Uint8Array => {
  randomBytes(b.length).copy(b);
  return b;
};

export interface DrainResult {
  readonly drainPerS: number;
  readonly rawPerS: number;
  readonly n: number;
  readonly seconds: number;
  readonly batchSize: number;
  readonly peer: unknown;
}

function makeRating(seq: number, key: string, deviceId: string): Rating {
  return signRating({
    v: 1, id: uuidv7(Date.now(), fill), hallId: 'hall-bench', deviceId, windowId: 'w-01', sessionId: `s-${seq}`, caseNumbers: [`C${seq}`], staffId: 'st-1', itemCode: 'T-1',
    level: 5, indicators: [], indicatorVersion: 'bench', channel: 5, assessNumber: 1, origin: 'session', flags: [], givenAt: new Date().toISOString(),
    clock: { trusted: true, source: 'ntp', bootId: 'bench', monoMs: seq }, seq,
  }, key);
}

async function rawBaseline(url: string, payload: string, messages: number): Promise<number> {
  const sub = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}`, clean: true, username: 'bench', password: 'bench' });
  const pub = await mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}`, clean: true, username: 'bench', password: 'bench' });
  const topic = 'bench/raw';
  await sub.subscribeAsync(topic, { qos: 1 });
  let got = 0;
  const all = new Promise<void>((r) => sub.on('message', () => {
    if (++got === messages) r();
  }));
  const t0 = process.hrtime.bigint();
  // A bounded window of outstanding publishes, as the device keeps (maxInflightBatches).
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve) => {
    const more = (): void => {
      while (sent < messages && sent - acked < 8) {
        sent++;
        pub.publish(topic, payload, { qos: 1 }, () => {
          acked++;
          if (acked === messages) resolve();
          else more();
        });
      }
    };
    more();
  });
  await all;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await pub.endAsync();
  await sub.endAsync();
  return messages / s;
}

export async function drain(n: number, baseDir: string, mqttUrl: string | null, batchSize: number): Promise<DrainResult> {
  const dir = mkdtempSync(join(baseDir, 'drain-'));
  const broker = mqttUrl ? null : await spawnJson<{ port: number }>([pjoin(HERE, 'broker-child.js')]);
  const url = mqttUrl ?? `mqtt://127.0.0.1:${broker!.first.port}`;
  try {
    const deviceId = `dev-bench-${randomBytes(3).toString('hex')}`;
    const id = identity(url, deviceId);
    const devDir = join(dir, 'device');
    mkdirSync(devDir, { recursive: true });
    const store = new IdentityStore(devDir);
    store.save(store.fromResponse(id, new Date().toISOString()));

    // Fill the outbox in one transaction (the fill is not what is measured).
    progress(`filling the outbox with ${n} signed ratings`);
    const ob = new Outbox(join(devDir, 'outbox.sqlite'), { maxBytes: null }, () => Date.now());
    ob.start();
    ob.stop();
    const db = new Database(join(devDir, 'outbox.sqlite'));
    const ins = db.prepare('INSERT INTO outbox (seq, id, body, created_ms) VALUES (?, ?, ?, ?)');
    let sample = '';
    db.transaction(() => {
      for (let i = 1; i <= n; i++) {
        const r = makeRating(i, id.signingKey, deviceId);
        const body = JSON.stringify(r);
        if (i === 1) sample = body;
        ins.run(i, r.id, body, Date.now());
      }
      db.prepare("INSERT INTO meta (k, v) VALUES ('seq', ?)").run(String(n));
    })();
    db.close();

    const rawMessages = Math.max(50, Math.floor(n / batchSize));
    progress(`baseline: ${rawMessages} raw QoS 1 messages of ${batchSize} ratings each`);
    const batchPayload = `{"v":1,"ratings":[${Array.from({ length: batchSize }, () => sample).join(',')}]}`;
    const rawMsgPerS = await rawBaseline(url, batchPayload, rawMessages);

    const peer = await spawnJson<{ ready: boolean }>([pjoin(HERE, 'peer-child.js'), url, deviceId, id.signingKey]);
    const rt = new DeviceRuntime({
      config: loadConfig({ screen: { kind: 'none' }, sync: { batchSize, maxInflightBatches: Number(process.env.HCP_BENCH_WINDOW ?? 8) }, telemetry: { intervalS: 3600 }, log: { level: 'silent' } }),
      dataDir: devDir,
      log: pino({ level: 'silent' }),
    });
    progress(`draining ${n} ratings`);
    const t0 = process.hrtime.bigint();
    await rt.start();
    let last = 0;
    while (rt.outbox.backlog() > 0) {
      await new Promise((r) => setTimeout(r, 20));
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (s - last > 2) {
        last = s;
        progress(`drain: ${n - rt.outbox.backlog()}/${n} after ${s.toFixed(1)} s`);
      }
      if (s > 600) throw new Error('drain did not finish in 10 minutes');
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await rt.stop();
    await stopChild(peer.child);
    const stats = peer.lines.at(-1);
    return { drainPerS: n / seconds, rawPerS: rawMsgPerS * batchSize, n, seconds, batchSize, peer: stats ? (JSON.parse(stats) as unknown) : null };
  } finally {
    if (broker) await stopChild(broker.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
