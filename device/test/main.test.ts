/**
 * The real device process (node device/bin/hcp-device.js → dist) killed with SIGKILL in the middle
 * of a burst of ratings, then restarted: every rating whose thanks reached the screen is stored by
 * the hub exactly once and acked; nothing is lost, nothing doubles, sequence numbers never repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AckPeer } from '@hcp/simulator';
import { buildDevice, exited, frameStream, spawnDevice, type DeviceProcess } from './process.js';
import { makeIdentity, provision, startBroker, tempDir, until, type TestBroker } from './helpers.js';

let broker: TestBroker;
let peer: AckPeer;
const t = tempDir();
const procs: DeviceProcess[] = [];

beforeAll(async () => {
  buildDevice();
  broker = await startBroker();
}, 120_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await peer?.stop();
  await broker?.close();
  t.cleanup();
});

async function pressUntil(kiosk: string, stop: () => boolean): Promise<number> {
  let sent = 0;
  while (!stop()) {
    try {
      await fetch(`${kiosk}/api/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'star', level: 4 }) });
      sent++;
    } catch {
      return sent; // the process is gone
    }
  }
  return sent;
}

describe('device process under kill -9', () => {
  it('every rating whose thanks was shown is present exactly once and later acked', async () => {
    const id = makeIdentity(broker.url, 'dev-kill');
    provision(t.dir, id);
    const cfgFile = join(t.dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify({
      screen: { kind: 'kiosk', kioskPort: 0 },
      session: { responseIntervalMs: 0, thanksS: 1, walkUp: 'accept-flagged' },
      sync: { reconnectMinMs: 50, reconnectMaxMs: 500, batchSize: 20, maxInflightBatches: 2 },
      telemetry: { intervalS: 1 },
      log: { level: 'warn' },
    }));
    // The hub stores but its acks are lost until the restart: every row stays in the outbox and is
    // sent again by the restarted process, so "exactly once" rests on ids, not on luck.
    peer = new AckPeer({ url: broker.url, keys: new Map([[id.deviceId, id.signingKey]]), holdAcks: true });
    await peer.start();

    const first = await spawnDevice(['--config', cfgFile, '--data-dir', t.dir]);
    procs.push(first);
    const sse = await frameStream(first.kiosk);
    const shown = () => sse.frames.filter((f) => f.view.kind === 'thanks').map((f) => f.view.ratingId!);
    // Two pressers at once, as a burst; the kill lands while presses are in flight.
    // Bounded, so the restarted device's resend stays a few seconds of work on a loaded machine.
    const enough = (): boolean => sse.frames.length >= 6000;
    const burst = Promise.all([pressUntil(first.kiosk, enough), pressUntil(first.kiosk, enough)]);
    await until(() => new Set(shown()).size >= 150 && peer.stats.stored >= 20, 30_000, 'burst under way');
    first.child.kill('SIGKILL');
    await exited(first.child);
    await burst;
    sse.close();
    const thanks = new Set(shown());
    expect(thanks.size).toBeGreaterThanOrEqual(150);

    // Right after the crash: every thanked rating is on disk or already at the hub.
    const db = new Database(join(t.dir, 'outbox.sqlite'), { readonly: true, fileMustExist: true });
    const onDisk = new Set((db.prepare('SELECT id FROM outbox').pluck().all() as string[]));
    db.close();
    const missing = [...thanks].filter((x) => !onDisk.has(x) && !peer.ratings.has(x));
    expect(missing).toEqual([]);

    expect([...thanks].every((x) => onDisk.has(x))).toBe(true); // no ack reached it, so nothing left

    peer.holdAcks = false;
    const second = await spawnDevice(['--config', cfgFile, '--data-dir', t.dir]);
    procs.push(second);
    await peer.waitFor(() => [...thanks].every((x) => peer.ratings.has(x)), 30_000, 'every thanked rating stored');
    await peer.waitFor(() => peer.telemetry.some((x) => x.backlog === 0 && x.lastAckAt !== null && x.at > new Date(Date.now() - 1500).toISOString()), 30_000, 'backlog 0 after restart');

    // Exactly once at the hub: the peer stores by id (duplicates are acked as such, not stored),
    // and no two ratings share a sequence number (the counter survived the crash).
    const mine = [...peer.ratings.values()].filter((r) => r.deviceId === id.deviceId);
    expect(new Set(mine.map((r) => r.seq)).size).toBe(mine.length);
    expect(peer.stats.stored).toBe(peer.ratings.size);
    expect(peer.stats.rejected).toBe(0);
    expect(peer.stats.duplicate).toBeGreaterThan(0); // the resends happened and were deduped

    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    const db2 = new Database(join(t.dir, 'outbox.sqlite'), { readonly: true });
    expect(db2.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
    db2.close();
    expect(peer.statuses.get(id.deviceId)).toMatchObject({ state: 'offline', reason: 'shutdown' });
  });
});
