/**
 * Press → committed latency through the real runtime (handleInput returns after the FULL commit),
 * beside a bare better-sqlite3 single-row insert with WAL + synchronous=FULL on the same disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomFillSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { signRating, uuidv7 } from '@hcp/protocol';
import pino from 'pino';
import { DeviceRuntime } from '@hcp/device/runtime';
import { loadConfig } from '@hcp/device/config/load';
import { IdentityStore } from '@hcp/device/provisioning/identity';
import { percentile, progress } from './stats.js';
import { identity } from './fixtures.js';

export interface LatencyResult {
  readonly press: { p50: number; p99: number };
  readonly bare: { p50: number; p99: number };
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function latency(n: number, baseDir: string): Promise<LatencyResult> {
  const dir = mkdtempSync(join(baseDir, 'lat-'));
  try {
    // Baseline: the layer below, one committed row per statement, same pragmas, same row size.
    const db = new Database(join(dir, 'bare.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created_ms INTEGER NOT NULL)');
    const ins = db.prepare('INSERT INTO t (seq, id, body, created_ms) VALUES (?, ?, ?, ?)');
    // The same kind of row the device writes: a signed rating's JSON, keyed by a UUIDv7.
    const key = randomBytes(32).toString('base64url');
    const fill = (b: Uint8Array): Uint8Array => randomFillSync(b);
    const rowFor = (i: number): [string, string] => {
      const id = uuidv7(Date.now(), fill);
      const r = signRating({
        v: 1, id, hallId: 'hall-bench', deviceId: 'dev-bench-lat', windowId: 'w-01', sessionId: null, caseNumbers: [], staffId: null, itemCode: null,
        level: 5, indicators: [], indicatorVersion: 'bench', channel: 5, assessNumber: 1, origin: 'walk-up', flags: ['walk-up', 'clock-untrusted'],
        givenAt: new Date().toISOString(), clock: { trusted: false, source: 'none', bootId: '00000000-0000-4000-8000-000000000000', monoMs: i }, seq: i + 1,
      }, key);
      return [id, JSON.stringify(r)];
    };
    const rows = Array.from({ length: n }, (_, i) => rowFor(i));
    const bare: number[] = [];
    const press: number[] = [];

    const devDir = join(dir, 'device');
    const id = identity('mqtt://127.0.0.1:1', 'dev-bench-lat');
    const store = new IdentityStore(devDir);
    rmSync(devDir, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(devDir, { recursive: true });
    store.save(store.fromResponse(id, new Date().toISOString()));
    const rt = new DeviceRuntime({
      config: loadConfig({ screen: { kind: 'none' }, session: { responseIntervalMs: 0, walkUp: 'accept-flagged' }, log: { level: 'silent' } }),
      dataDir: devDir,
      log: pino({ level: 'silent' }),
    });
    await rt.start();
    // Interleave the two (alternating which goes first) so both see the same disk conditions.
    const pressOnce = (i: number): void => {
      const t = process.hrtime.bigint();
      const f = rt.handleInput({ kind: 'star', level: 5 });
      press.push(ms(t));
      if (f.view.kind !== 'thanks') throw new Error(`press ${i} was not accepted: ${f.view.kind}`);
    };
    const bareOnce = (i: number): void => {
      const t = process.hrtime.bigint();
      const [id, body] = rows[i]!;
      ins.run(i + 1, id, body, Date.now());
      bare.push(ms(t));
    };
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        bareOnce(i);
        pressOnce(i);
      } else {
        pressOnce(i);
        bareOnce(i);
      }
      if (i % 2000 === 1999) progress(`latency ${i + 1}/${n}`);
    }
    await rt.stop();
    db.close();
    bare.sort((a, b) => a - b);
    press.sort((a, b) => a - b);
    return { press: { p50: percentile(press, 50), p99: percentile(press, 99) }, bare: { p50: percentile(bare, 50), p99: percentile(bare, 99) } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
