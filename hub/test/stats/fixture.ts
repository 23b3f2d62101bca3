/**
 * A hand-made week of hall data for the statistics tests, written straight into a real hub
 * database (all migrations applied): ratings as ingest stores them, sessions, default ratings as
 * the forwarder records them, 差评 cases and exclusions as the cases module writes them. The
 * expected figures in the tests are computed by hand from the table below (UTC+8 local days).
 *
 * | rating | window | staff | item | level | 办件 | local time          | notes                                   |
 * | R1     | w-01   | st-a  | IT1  | 5     | 1    | 11-16 00:00:00.000  | first instant of the range               |
 * | R2     | w-01   | st-a  | IT1  | 4     | 1    | 11-16 10:00 (+08:00 offset in given_at)  |                          |
 * | R3     | w-01   | st-a  | IT2  | 1     | 3    | 11-17 11:00         | batch of 3; case done                    |
 * | R4     | w-02   | st-b  | IT1  | 2     | 1    | 11-18 11:00         | case contacted                           |
 * | R5     | w-02   | st-b  | IT2  | 1     | 1    | 11-18 12:00         | EXCLUDED (malicious); case new           |
 * | R6     | w-02   | st-b  | IT1  | 3     | 1    | stored 11-19 10:00  | untrusted clock (1970), not corrected    |
 * | R7     | w-01   | st-a  | IT1  | 2     | 1    | corrected 11-20 13:00 | untrusted, corrected; no case opened   |
 * | R8     | w-03   | —     | —    | 5     | 1    | 11-22 23:59:59.999  | walk-up, no case numbers; last instant   |
 * | R9     | w-01   | st-a  | IT1  | 1     | 1    | 11-23 00:00:00.000  | outside (day after the range)            |
 * | R10    | w-01   | st-a  | IT1  | 5     | 1    | 11-15 23:59:59.999  | outside (day before the range)           |
 * | R11    | w-01   | st-a  | IT1  | 2     | 1    | 11-19 14:00         | 追加 of S2; case rectifying               |
 * | D1     | w-02   | st-b  | IT2  | 4     | 2    | 11-21 10:00         | default rating of S7                     |
 * | D2     | w-01   | st-a  | IT1  | 4     | 1    | 11-17 09:00         | default rating of S8                     |
 *
 * Sessions (service time, local): S1 w-01 11-16 00:30 (R1) · S2 w-01 11-16 09:50 (R2) · S3 w-01 11-17
 * 10:50, 3 办件 (R3) · S4 w-02 11-18 10:50 (R4) · S5 w-02 11-18 11:50 (R5, excluded → unrated) · S6
 * w-01 opened 11-20 12:55, no served_at (R7) · S7 w-02 11-16 10:00, 2 办件, timed out (D1) · S8 w-01
 * 11-10 (outside) · S9 w-03 11-23 00:30 (outside) · S10 w-01 11-21 09:00 (+08:00), 2 办件, pending.
 */
import { randomFillSync } from 'node:crypto';
import { uuidv7 } from '@hcp/protocol';
import type { Db } from '../../src/db/db.js';

export const DEFAULT_HALL = 'hall-1';
export const APPLICANT = { name: '张三丰', idType: '111', idNumber: '110101199003071234', phone: '13812345678', userType: 'person' } as const;

interface RatingSpec {
  key: string; window: string; staff: string | null; item: string | null; level: number; cases: string[];
  givenAt: string; trusted?: boolean; corrected?: string | null; receivedAt?: string; session?: string | null; assess?: 1 | 2;
  indicators?: string[]; text?: string; channel?: number; origin?: string; flags?: string[];
}

const id = (ms: number) => uuidv7(ms, (b) => randomFillSync(b));

export interface Fixture {
  /** rating ids by key (R1…R11, D1, D2) */
  readonly ids: Record<string, string>;
}

/** Seeds the week; `hallId` lets a running hub's own hall hold the windows. */
export function seedStatsFixture(db: Db, opts: { encrypt?: (plain: string) => string; hallId?: string } = {}): Fixture {
  const now = '2026-11-23T02:00:00.000Z';
  const HALL = opts.hallId ?? DEFAULT_HALL;
  const ids: Record<string, string> = {};
  const tx = db.transaction(() => {
    db.prepare('INSERT OR IGNORE INTO halls (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(HALL, '测试政务服务大厅', now, now);
    const staff = db.prepare('INSERT INTO staff (id, name, number, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    staff.run('st-a', '王晓燕', 'A01', now, now);
    staff.run('st-b', '李明', 'B02', now, now);
    staff.run('st-c', '赵六', 'C03', now, now);
    const win = db.prepare('INSERT INTO windows (id, hall_id, name, staff_id, department, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    win.run('w-01', HALL, '1号综合窗口', 'st-a', '市场监管局', now, now);
    win.run('w-02', HALL, '2号社保窗口', 'st-b', '人社局', now, now);
    win.run('w-03', HALL, '3号咨询窗口', 'st-c', null, now, now);

    const applicant = opts.encrypt ? opts.encrypt(JSON.stringify(APPLICANT)) : null;
    const sess = db.prepare(`INSERT INTO sessions (id, window_id, device_id, case_numbers, item_code, item_name, staff_id, applicant_enc, served_at,
      outcome, rating_id, opened_at, expires_at, opened_by) VALUES (?, ?, 'dev-1', ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 'test')`);
    // the first rating of a session, as the sessions ingest hook records it
    const firstRating = db.prepare('UPDATE sessions SET rating_id = ? WHERE id = ?');
    const S = (sid: string, w: string, st: string, item: string, cases: string[], served: string | null, opened: string, outcome: string) =>
      sess.run(sid, w, JSON.stringify(cases), item, item === 'IT1' ? '个体工商户登记' : '社会保险参保登记', st, applicant, served, outcome, opened, opened);
    S('S1', 'w-01', 'st-a', 'IT1', ['C-1'], '2026-11-15T16:30:00.000Z', '2026-11-15T16:29:00.000Z', 'rated');
    S('S2', 'w-01', 'st-a', 'IT1', ['C-2'], '2026-11-16T01:50:00.000Z', '2026-11-16T01:49:00.000Z', 'rated');
    S('S3', 'w-01', 'st-a', 'IT2', ['C-3a', 'C-3b', 'C-3c'], '2026-11-17T02:50:00.000Z', '2026-11-17T02:49:00.000Z', 'rated');
    S('S4', 'w-02', 'st-b', 'IT1', ['C-4'], '2026-11-18T02:50:00.000Z', '2026-11-18T02:49:00.000Z', 'rated');
    S('S5', 'w-02', 'st-b', 'IT2', ['C-5'], '2026-11-18T03:50:00.000Z', '2026-11-18T03:49:00.000Z', 'rated');
    S('S6', 'w-01', 'st-a', 'IT1', ['C-6'], null, '2026-11-20T04:55:00.000Z', 'rated');
    S('S7', 'w-02', 'st-b', 'IT2', ['C-7a', 'C-7b'], '2026-11-16T02:00:00.000Z', '2026-11-16T01:59:00.000Z', 'timed-out');
    S('S8', 'w-01', 'st-a', 'IT1', ['C-8'], '2026-11-10T02:00:00.000Z', '2026-11-10T01:59:00.000Z', 'timed-out');
    S('S9', 'w-03', 'st-c', 'IT1', ['C-9'], '2026-11-22T16:30:00.000Z', '2026-11-22T16:29:00.000Z', 'timed-out');
    S('S10', 'w-01', 'st-a', 'IT1', ['C-10a', 'C-10b'], '2026-11-21T09:00:00+08:00', '2026-11-21T00:59:00.000Z', 'pending');

    const ins = db.prepare(`INSERT INTO ratings (id, hall_id, device_id, window_id, session_id, level, given_at, corrected_given_at, clock_trusted,
      boot_id, mono_ms, flags, seq, received_at, body) VALUES (?, ?, 'dev-1', ?, ?, ?, ?, ?, ?, 'boot', 1, ?, ?, ?, ?)`);
    let seq = 0;
    const R = (s: RatingSpec) => {
      const rid = id(Date.parse(s.receivedAt ?? s.corrected ?? s.givenAt) || Date.parse(now));
      ids[s.key] = rid;
      const flags = s.flags ?? [];
      const body = {
        v: 1, id: rid, hallId: HALL, deviceId: 'dev-1', windowId: s.window, sessionId: s.session ?? null, caseNumbers: s.cases,
        staffId: s.staff, itemCode: s.item, level: s.level, indicators: s.indicators ?? (s.level <= 2 ? ['501'] : []), indicatorVersion: null,
        ...(s.text ? { text: s.text } : {}), channel: s.channel ?? 5, assessNumber: s.assess ?? 1, origin: s.origin ?? (s.session ? 'session' : 'staff-key'),
        flags, givenAt: s.givenAt, clock: { trusted: s.trusted ?? true, source: 'ntp', bootId: 'boot', monoMs: 1 }, seq: ++seq, sig: 'x'.repeat(43),
      };
      ins.run(rid, HALL, s.window, s.session ?? null, s.level, s.givenAt, s.corrected ?? null, s.trusted === false ? 0 : 1, JSON.stringify(flags), seq,
        s.receivedAt ?? s.givenAt, JSON.stringify(body));
      if (s.session && (s.assess ?? 1) === 1) firstRating.run(rid, s.session);
    };
    R({ key: 'R1', window: 'w-01', staff: 'st-a', item: 'IT1', level: 5, cases: ['C-1'], givenAt: '2026-11-15T16:00:00.000Z', session: 'S1' });
    R({ key: 'R2', window: 'w-01', staff: 'st-a', item: 'IT1', level: 4, cases: ['C-2'], givenAt: '2026-11-16T10:00:00+08:00', receivedAt: '2026-11-16T02:00:01.000Z', session: 'S2' });
    R({ key: 'R3', window: 'w-01', staff: 'st-a', item: 'IT2', level: 1, cases: ['C-3a', 'C-3b', 'C-3c'], givenAt: '2026-11-17T03:00:00.000Z', session: 'S3',
      text: '等了很久，请回电13900001111' });
    R({ key: 'R4', window: 'w-02', staff: 'st-b', item: 'IT1', level: 2, cases: ['C-4'], givenAt: '2026-11-18T03:00:00.000Z', session: 'S4' });
    R({ key: 'R5', window: 'w-02', staff: 'st-b', item: 'IT2', level: 1, cases: ['C-5'], givenAt: '2026-11-18T04:00:00.000Z', session: 'S5' });
    R({ key: 'R6', window: 'w-02', staff: 'st-b', item: 'IT1', level: 3, cases: ['C-6x'], givenAt: '1970-01-01T00:00:10.000Z', trusted: false,
      receivedAt: '2026-11-19T02:00:00.000Z', flags: ['clock-untrusted'] });
    R({ key: 'R7', window: 'w-01', staff: 'st-a', item: 'IT1', level: 2, cases: ['C-6'], givenAt: '1970-01-01T00:00:20.000Z', trusted: false,
      corrected: '2026-11-20T05:00:00.000Z', receivedAt: '2026-11-21T01:00:00.000Z', session: 'S6', flags: ['clock-untrusted', 'clock-corrected'] });
    R({ key: 'R8', window: 'w-03', staff: null, item: null, level: 5, cases: [], givenAt: '2026-11-22T15:59:59.999Z', origin: 'walk-up', flags: ['walk-up'] });
    R({ key: 'R9', window: 'w-01', staff: 'st-a', item: 'IT1', level: 1, cases: ['C-9x'], givenAt: '2026-11-22T16:00:00.000Z' });
    R({ key: 'R10', window: 'w-01', staff: 'st-a', item: 'IT1', level: 5, cases: ['C-10x'], givenAt: '2026-11-15T15:59:59.999Z' });
    R({ key: 'R11', window: 'w-01', staff: 'st-a', item: 'IT1', level: 2, cases: ['C-2'], givenAt: '2026-11-19T06:00:00.000Z', session: 'S2', assess: 2,
      channel: 3, origin: 'mobile' });

    // default ratings, as forward/defaults.ts records them
    const dec = db.prepare("INSERT INTO forward_default_decisions (session_id, rating_id, result, cases, decided_ms) VALUES (?, ?, 'sent', ?, ?)");
    const pay = db.prepare("INSERT INTO forward_payloads (rating_id, source, context) VALUES (?, ?, '{}')");
    const D = (key: string, session: string, w: string, st: string, item: string, cases: string[], givenAt: string) => {
      const rid = id(Date.parse(givenAt));
      ids[key] = rid;
      dec.run(session, rid, cases.length, Date.parse(givenAt));
      pay.run(rid, JSON.stringify({
        id: rid, caseNumbers: cases, level: 4, indicators: [], channel: 5, assessNumber: 1, origin: 'default', flags: ['default-rating'], givenAt,
        indicatorVersion: null, sessionId: session, staffId: st, itemCode: item, hallId: HALL, windowId: w,
      }));
    };
    D('D1', 'S7', 'w-02', 'st-b', 'IT2', ['C-7a', 'C-7b'], '2026-11-21T02:00:00.000Z');
    D('D2', 'S8', 'w-01', 'st-a', 'IT1', ['C-8'], '2026-11-17T01:00:00.000Z');

    // 差评 cases as the cases module keeps them (migration 200)
    const kase = db.prepare(`INSERT INTO bad_review_cases (id, rating_id, hall_id, window_id, staff_id, session_id, level, state, opened_at, due_at,
      contacted_at, rectifying_at, closed_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)`);
    kase.run('K3', ids.R3, HALL, 'w-01', 'st-a', 1, 'done', '2026-11-17T03:00:05.000Z', '2026-12-01T03:00:00.000Z', '2026-11-17T05:00:00.000Z', '2026-11-18T01:00:00.000Z', '2026-11-19T01:00:00.000Z', now);
    kase.run('K4', ids.R4, HALL, 'w-02', 'st-b', 2, 'contacted', '2026-11-18T03:00:05.000Z', '2026-12-02T03:00:00.000Z', '2026-11-18T06:00:00.000Z', null, null, now);
    kase.run('K5', ids.R5, HALL, 'w-02', 'st-b', 1, 'new', '2026-11-18T04:00:05.000Z', '2026-12-02T04:00:00.000Z', null, null, null, now);
    kase.run('K11', ids.R11, HALL, 'w-01', 'st-a', 2, 'rectifying', '2026-11-19T06:00:05.000Z', '2026-12-03T06:00:00.000Z', '2026-11-19T08:00:00.000Z', '2026-11-20T01:00:00.000Z', null, now);
    db.prepare("INSERT INTO rating_exclusions (rating_id, reason, note, decided_by, decided_at) VALUES (?, 'malicious', '复核认定恶意差评', 'user:reviewer', ?)").run(ids.R5, now);
  });
  tx();
  return { ids };
}
