/** Shared test fixtures for the forward tests: temp databases, ratings, valid ID numbers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import pino from 'pino';
import { uuidv7 } from '@hcp/protocol';
import { migrate, openDb, type Db } from '../../src/db/db.js';
import type { ForwardSource } from '../../src/forward/mapping.js';

export const silent = pino({ level: 'silent' });

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-forward-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real SQLite file with the hub's migrations (core 001–099 and forwarding 100–199) applied. */
export async function openTestDb(dir: string, name = 'hub.sqlite'): Promise<Db> {
  const db = openDb(join(dir, name));
  await migrate(db);
  return db;
}

/** GB 11643 check digit, so generated 居民身份证号码 pass a province's check. */
export function idNumber(seq: number): string {
  const body = `33010219900101${String(seq % 1000).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i]!, 0);
  return body + '10X98765432'[sum % 11]!;
}

let n = 0;
/** A rating as the hub stores it (only the fields forwarding reads). */
export function rating(opts: Partial<ForwardSource> & { cases?: string[]; atMs?: number } = {}): ForwardSource {
  n++;
  const at = opts.atMs ?? Date.now() - 1000;
  const r: ForwardSource = {
    id: uuidv7(at, (b) => randomFillSync(b)),
    caseNumbers: opts.cases ?? [`330100-2026-${String(n).padStart(6, '0')}`],
    level: 5, indicators: [], channel: 5, assessNumber: 1, origin: 'session', flags: [],
    givenAt: new Date(at).toISOString(), indicatorVersion: 'sim-2026.11',
    sessionId: null, staffId: 'staff-007', itemCode: '330100-000-XK-001', hallId: 'hall-1', windowId: 'w-01',
    ...opts,
  };
  return r;
}

export const systemClock = { now: (): number => Date.now() };
