import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { HcpError, signRating, uuidv7, verifyRating, type Rating } from '@hcp/protocol';
import { Outbox } from '../../src/outbox/outbox.js';
import { tempDir } from '../helpers.js';

const key = randomBytes(32).toString('base64url');
const fill = (b: Uint8Array): Uint8Array => {
  randomBytes(b.length).copy(b);
  return b;
};
function rating(seq: number): Rating {
  return signRating({
    v: 1, id: uuidv7(Date.now(), fill), hallId: 'h1', deviceId: 'd1', windowId: 'w1', sessionId: null, caseNumbers: [], staffId: null, itemCode: null,
    level: 5, indicators: [], indicatorVersion: null, channel: 5, assessNumber: 1, origin: 'walk-up', flags: ['walk-up'], givenAt: new Date().toISOString(),
    clock: { trusted: true, source: 'ntp', bootId: 'b', monoMs: 1 }, seq,
  }, key);
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function open(opts = { maxBytes: null as number | null }) {
  const t = tempDir();
  const ob = new Outbox(join(t.dir, 'outbox.sqlite'), opts, () => Date.now());
  cleanups.push(() => { ob.stop(); t.cleanup(); });
  return { ob, dir: t.dir };
}

describe('outbox', () => {
  it('uses WAL and synchronous=FULL, commits in seq order, survives reopen', () => {
    const { ob, dir } = open();
    expect(ob.start().corruptMovedTo).toBeNull();
    const a = ob.commit(rating);
    const b = ob.commit(rating);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    ob.stop();
    const raw = new Database(join(dir, 'outbox.sqlite'));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    ob.start();
    const rows = ob.pendingAfter(0, 10);
    expect(rows.map((r) => r.id)).toEqual([a.id, b.id]);
    expect(verifyRating(JSON.parse(rows[0]!.body) as Rating, key)).toBe(true);
    // The sequence keeps rising even after every row left.
    ob.applyAck([{ id: a.id, result: 'stored' }, { id: b.id, result: 'duplicate' }]);
    expect(ob.backlog()).toBe(0);
    ob.stop();
    ob.start(); // an empty outbox after a restart still remembers the sequence
    expect(ob.commit(rating).seq).toBe(3);
  });

  it('the synchronous pragma on the live connection is FULL, and stays FULL after applying acks', () => {
    const { ob } = open();
    ob.start();
    // FULL is per connection, so check ours.
    const db = (ob as unknown as { db: Database.Database }).db;
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    const r = ob.commit(rating);
    ob.applyAck([{ id: r.id, result: 'stored' }]);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('removes rows only for stored/duplicate acks; rejected rows are kept aside with their code', () => {
    const { ob } = open();
    ob.start();
    const [a, b, c] = [ob.commit(rating), ob.commit(rating), ob.commit(rating)];
    const r = ob.applyAck([
      { id: a.id, result: 'stored' },
      { id: b.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' },
      { id: '0190a000-0000-7000-8000-000000000000', result: 'stored' },
    ]);
    expect(r).toEqual({ removed: [a.id], rejected: 1 });
    expect(ob.pendingAfter(0, 10).map((x) => x.id)).toEqual([c.id]);
    expect(ob.rejectedCount()).toBe(1);
    expect(ob.lastAckMs()).not.toBeNull();
  });

  it('a failed build leaves nothing behind (the transaction rolls back)', () => {
    const { ob } = open();
    ob.start();
    expect(() => ob.commit(() => { throw new Error('boom'); })).toThrow('boom');
    expect(ob.backlog()).toBe(0);
    expect(ob.commit(rating).seq).toBe(1);
  });

  it('a corrupt file is moved aside and reported, and a new outbox starts', () => {
    const { ob, dir } = open();
    writeFileSync(join(dir, 'outbox.sqlite'), Buffer.concat([Buffer.from('not a database at all'), randomBytes(8192)]));
    const rep = ob.start();
    expect(rep.corruptMovedTo).toMatch(/outbox\.sqlite\.corrupt-\d+$/);
    expect(existsSync(rep.corruptMovedTo!)).toBe(true);
    expect(readdirSync(dir).some((f) => f.startsWith('outbox.sqlite.corrupt-'))).toBe(true);
    expect(ob.commit(rating).seq).toBe(1);
  });

  it('when full, commit fails with HCP_OUTBOX_DISK_FULL and every committed row stays', () => {
    const { ob } = open({ maxBytes: 65_536 });
    ob.start();
    const ids: string[] = [];
    let err: unknown = null;
    for (let i = 0; i < 5000 && !err; i++) {
      try {
        ids.push(ob.commit(rating).id);
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(HcpError);
    expect((err as HcpError).code).toBe('HCP_OUTBOX_DISK_FULL');
    expect(ob.backlog()).toBe(ids.length);
    expect(ob.pendingAfter(0, 10_000).map((r) => r.id)).toEqual(ids);
  });
});
