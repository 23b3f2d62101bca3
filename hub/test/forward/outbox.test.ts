import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { ForwardOutbox, enqueueForward, toRowResult } from '../../src/forward/outbox.js';
import { openTestDb, rating, tempDir } from './helpers.js';

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

  it('claims due rows in order, marks them in-flight, and recovers them after a crash', () => {
    for (let i = 0; i < 5; i++) ob.enqueue(rating({ cases: [`C-${i}`] }), {}, 1000 + i);
    const a = ob.claim(2, 2000);
    expect(a.map((r) => r.projectNo)).toEqual(['C-0', 'C-1']);
    expect(ob.stats(2000)).toMatchObject({ backlog: 5, inFlight: 2, oldestAgeS: 1 });
    expect(ob.claim(10, 2000).map((r) => r.projectNo)).toEqual(['C-2', 'C-3', 'C-4']);
    expect(ob.claim(10, 2000)).toEqual([]);
    expect(ob.recoverInFlight(3000)).toBe(5);
    expect(ob.claim(10, 3000)).toHaveLength(5);
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
