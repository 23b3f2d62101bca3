import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listMigrations, migrate, openDb, type Db } from '../../src/db/db.js';
import { ForwardOutbox, enqueueForward, toRowResult } from '../../src/forward/outbox.js';
import { openTestDb, rating, tempDir } from './helpers.js';

const MIGRATIONS = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));

class MemAudit {
  readonly entries: { actor: string; action: string; target: string | null; detail?: unknown }[] = [];
  record(actor: string, action: string, target: string | null, detail?: unknown): void {
    this.entries.push({ actor, action, target, detail });
  }
}

describe('ForwardOutbox', () => {
  let t: ReturnType<typeof tempDir>;
  let db: Db;
  let ob: ForwardOutbox;
  beforeEach(async () => {
    t = tempDir();
    db = await openTestDb(t.dir);
    ob = new ForwardOutbox(db);
  });
  afterEach(() => {
    db.close();
    t.cleanup();
  });

  it('enqueues one row per case number, idempotently, inside the caller\'s transaction', () => {
    const r = rating({ cases: ['C-1', 'C-2', 'C-3'] });
    const add = db.transaction(() => enqueueForward(db, r, { staffName: '王晓燕' }, 1000));
    expect(add()).toBe(3);
    expect(add()).toBe(0);
    expect(ob.stats(1000)).toMatchObject({ backlog: 3, inFlight: 0, delivered: 0 });
    // the rating's data is stored once, shared by its three case rows
    expect(db.prepare('SELECT count(*) AS n FROM forward_payloads').get()).toEqual({ n: 1 });
    expect(ob.claim(10, 1000).map((x) => [x.projectNo, x.source.id, x.context.staffName])).toEqual([['C-1', r.id, '王晓燕'], ['C-2', r.id, '王晓燕'], ['C-3', r.id, '王晓燕']]);
    ob.recoverInFlight(1000);
    // rolled back with the caller's transaction
    const failing = db.transaction(() => {
      enqueueForward(db, rating({ cases: ['C-9'] }), {}, 1000);
      throw new Error('ingest failed');
    });
    expect(() => failing()).toThrow('ingest failed');
    expect(ob.stats(1000).backlog).toBe(3);
    expect(enqueueForward(db, rating({ cases: [] }), {}, 1000)).toBe(0);
  });

  it('claims due rows in order and leases them in memory: a restarted process sends them again', () => {
    for (let i = 0; i < 5; i++) ob.enqueue(rating({ cases: [`C-${i}`] }), {}, 1000 + i);
    const a = ob.claim(2, 2000);
    expect(a.map((r) => r.projectNo)).toEqual(['C-0', 'C-1']);
    expect(ob.stats(2000)).toMatchObject({ backlog: 5, inFlight: 2, oldestAgeS: 1 });
    expect(ob.nextDueMs()).toBe(1002);
    expect(ob.claim(10, 2000).map((r) => r.projectNo)).toEqual(['C-2', 'C-3', 'C-4']);
    expect(ob.claim(10, 2000)).toEqual([]);
    expect(ob.nextDueMs()).toBeNull();
    // a claim writes nothing: the process dies here, and the next one finds every row open
    expect(db.prepare('SELECT DISTINCT state FROM forward_outbox').pluck().all()).toEqual(['pending']);
    expect(new ForwardOutbox(db).claim(10, 3000).map((r) => r.projectNo)).toEqual(['C-0', 'C-1', 'C-2', 'C-3', 'C-4']);
    // a lease given back without an outcome makes the row claimable again
    ob.release([a[1]!.seq]);
    expect(ob.claim(10, 3000).map((r) => r.projectNo)).toEqual(['C-1']);
    expect(ob.recoverInFlight(3000)).toBe(5);
    expect(ob.claim(10, 3000)).toHaveLength(5);
  });

  it('ends the leases of a batch whose outcomes could not be written; the rows stay open', () => {
    for (let i = 0; i < 3; i++) ob.enqueue(rating({ cases: [`W-${i}`] }), {}, 1000);
    const rows = ob.claim(10, 1000);
    db.exec(`CREATE TRIGGER fail_delivery BEFORE UPDATE OF state ON forward_outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(() => ob.complete(rows.map((r) => ({ seq: r.seq, kind: 'delivered' as const, result: 'accepted' as const })), 1000)).toThrow('disk full');
    db.exec('DROP TRIGGER fail_delivery');
    expect(ob.stats(1000)).toMatchObject({ backlog: 3, inFlight: 0, delivered: 0 });
    expect(ob.claim(10, 1000)).toHaveLength(3);
  });

  it('records delivered, retry (not due before its time) and dead with a dead letter', () => {
    for (let i = 0; i < 3; i++) ob.enqueue(rating({ cases: [`C-${i}`] }), {}, 1000);
    const [a, b, c] = ob.claim(3, 1000);
    ob.complete([
      { seq: a!.seq, kind: 'delivered', result: 'duplicate' },
      { seq: b!.seq, kind: 'retry', code: 'HCP_PROVINCE_UNAVAILABLE', reason: 'HTTP 503', atMs: 5000 },
      { seq: c!.seq, kind: 'dead', code: 'E_CERT_KEY', reason: '证件号码校验位错误' },
    ], 1000);
    expect(ob.stats(1000)).toMatchObject({ backlog: 1, inFlight: 0, delivered: 1, deadOpen: 1 });
    expect(ob.claim(10, 4999)).toEqual([]);
    expect(ob.nextDueMs()).toBe(5000);
    const again = ob.claim(10, 5000);
    expect(again.map((r) => [r.projectNo, r.attempts])).toEqual([['C-1', 1]]);
    const [d] = ob.deadLetters({ state: 'open' });
    expect(d).toMatchObject({ projectNo: 'C-2', code: 'E_CERT_KEY', reason: '证件号码校验位错误', state: 'open', attempts: 1 });
  });

  it('holds a 追加 rating until the first rating of its case has left the queue', () => {
    ob.enqueue(rating({ cases: ['C-1'] }), {}, 1000);
    ob.enqueue(rating({ cases: ['C-1'], assessNumber: 2 }), {}, 1000);
    const first = ob.claim(10, 1000);
    expect(first.map((r) => r.assessNumber)).toEqual([1]);
    expect(ob.claim(10, 1000)).toEqual([]);
    ob.complete([{ seq: first[0]!.seq, kind: 'delivered', result: 'accepted' }], 1000);
    expect(ob.claim(10, 1000).map((r) => r.assessNumber)).toEqual([2]);
  });

  it('lets an operator correct-and-retry or discard a dead letter, audited', () => {
    ob.enqueue(rating({ cases: ['C-1', 'C-2'] }), {}, 1000);
    const rows = ob.claim(10, 1000);
    ob.complete(rows.map((r) => ({ seq: r.seq, kind: 'dead' as const, code: 'E_CODE_VALUE', reason: 'areaCode 格式错误' })), 1000);
    const [d2, d1] = ob.deadLetters();
    const audit = new MemAudit();
    expect(() => ob.retryDead(d1!.id, 'user:op', audit, 2000, { certKey: 'x' })).toThrow(expect.objectContaining({ code: 'HCP_VALIDATION' }));
    const retried = ob.retryDead(d1!.id, 'user:op', audit, 2000, { areaCode: '330100' }, '区划代码已更正');
    expect(retried).toMatchObject({ state: 'retried', resolvedBy: 'user:op', overrides: { areaCode: '330100' } });
    expect(() => ob.retryDead(d1!.id, 'user:op', audit, 2000)).toThrow(expect.objectContaining({ code: 'HCP_CONFLICT' }));
    expect(ob.discardDead(d2!.id, 'user:mgr', audit, 2000, '办件已撤销')).toMatchObject({ state: 'discarded', note: '办件已撤销' });
    expect(() => ob.discardDead(999, 'user:mgr', audit, 2000, 'x')).toThrow(expect.objectContaining({ code: 'HCP_NOT_FOUND' }));
    expect(audit.entries.map((e) => e.action)).toEqual(['forward.dead-letter.retry', 'forward.dead-letter.discard']);
    const [again] = ob.claim(10, 2000);
    expect(again).toMatchObject({ projectNo: d1!.projectNo, attempts: 0, overrides: { areaCode: '330100' } });
    expect(ob.stats(2000)).toMatchObject({ deadOpen: 0, backlog: 1 });
  });

  it('maps outcomes to row results, dead-lettering after maxAttempts', () => {
    const at = (k: number) => 1000 * k;
    expect(toRowResult(1, { kind: 'accepted' }, 0, null, at)).toEqual({ seq: 1, kind: 'delivered', result: 'accepted' });
    expect(toRowResult(1, { kind: 'retryable', code: 'X', reason: 'r' }, 2, null, at)).toEqual({ seq: 1, kind: 'retry', code: 'X', reason: 'r', atMs: 3000 });
    expect(toRowResult(1, { kind: 'retryable', code: 'X', reason: 'r' }, 2, 3, at)).toMatchObject({ kind: 'dead', code: 'X' });
  });
});

describe('migration 105 (leases in memory, payload ids)', () => {
  it('reopens rows an older release left in flight and links every row to its payload', async () => {
    const t = tempDir();
    try {
      // a database as the release before 105 left it: migrations up to 104 only
      const old = join(t.dir, 'old-migrations');
      mkdirSync(old);
      for (const m of listMigrations([MIGRATIONS])) if (m.version <= 104) copyFileSync(m.path, join(old, m.path.split('/').pop()!));
      const db = openDb(join(t.dir, 'hub.sqlite'));
      await migrate(db, [old]);
      const pay = db.prepare("INSERT INTO forward_payloads (rating_id, source, context, record, record_profile) VALUES (?, '{}', '{}', ?, 'fp')");
      const row = db.prepare(`INSERT INTO forward_outbox (rating_id, project_no, assess_number, state, attempts, next_attempt_ms, due_ms, created_ms, updated_ms)
        VALUES (?, ?, 1, ?, 0, 1000, ?, 1000, 1000)`);
      pay.run('r-1', '{"satisfaction":"5"}');
      pay.run('r-2', '{"satisfaction":"4"}');
      row.run('r-1', 'M-1', 'in-flight', 1000);
      row.run('r-1', 'M-2', 'delivered', null);
      row.run('r-2', 'M-3', 'pending', 1000);
      expect(await migrate(db, [MIGRATIONS])).toContain('105_forward_lease');
      expect(db.prepare('SELECT project_no, state, p.rating_id FROM forward_outbox o JOIN forward_payloads p ON p.id = o.payload_id ORDER BY seq').raw().all())
        .toEqual([['M-1', 'pending', 'r-1'], ['M-2', 'delivered', 'r-1'], ['M-3', 'pending', 'r-2']]);
      expect(new ForwardOutbox(db).claim(10, 2000).map((r) => [r.projectNo, r.template])).toEqual([['M-1', '{"satisfaction":"5"}'], ['M-3', '{"satisfaction":"4"}']]);
      db.close();
    } finally {
      t.cleanup();
    }
  });
});
