import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProvincialSimulator } from '@hcp/simulator/provincial/server';
import type { Db } from '../../src/db/db.js';
import { adapterFor } from '../../src/forward/adapters/index.js';
import { WorkingCalendar } from '../../src/forward/calendar.js';
import { DefaultRatingJob } from '../../src/forward/defaults.js';
import { hubUnratedSessions } from '../../src/forward/hub-sources.js';
import { ForwardOutbox } from '../../src/forward/outbox.js';
import { loadProfile } from '../../src/forward/profile.js';
import { ForwardWorker } from '../../src/forward/worker.js';
import { openTestDb, rating, silent, tempDir } from './helpers.js';

/** China time → epoch ms. */
const cn = (s: string): number => Date.parse(`${s}+08:00`);

describe('DefaultRatingJob (Tai’an style: default 满意 after 4 working days)', () => {
  let t: ReturnType<typeof tempDir>;
  let db: Db;
  let outbox: ForwardOutbox;
  let now = cn('2026-11-27T10:00:00');
  const clock = { now: () => now };

  function session(id: string, cases: string[], servedChina: string, outcome = 'timed-out'): void {
    const served = new Date(cn(servedChina)).toISOString();
    db.prepare(`INSERT INTO sessions (id, window_id, device_id, case_numbers, item_code, item_name, staff_id, applicant_enc, served_at, case_status, promise_kind,
      external_ref, outcome, rating_id, opened_at, expires_at, ended_at, opened_by) VALUES (?, 'w-01', NULL, ?, '330100-000-XK-001', '食品经营许可', 'staff-007', NULL, ?, 'completed', NULL,
      NULL, ?, NULL, ?, ?, NULL, 'test')`).run(id, JSON.stringify(cases), served, outcome, served, served);
  }

  function job(profileOver: Record<string, unknown> = {}): DefaultRatingJob {
    const profile = loadProfile({
      name: 'zj', adapter: 'generic-json', endpoint: 'http://127.0.0.1:1', codes: { channelVariant: 'zhejiang' },
      defaultRating: { mode: 'after-working-days', days: 4, level: 4 }, ...profileOver,
    });
    return new DefaultRatingJob({ db, outbox, sessions: hubUnratedSessions(db), calendar: WorkingCalendar.china(), profile, clock, log: silent, hallId: 'hall-1' });
  }

  beforeEach(async () => {
    t = tempDir();
    db = await openTestDb(t.dir);
    outbox = new ForwardOutbox(db);
    now = cn('2026-11-27T10:00:00'); // Friday
    db.prepare("INSERT INTO staff (id, name, number, created_at, updated_at) VALUES ('staff-007', '王晓燕', 'A0107', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run();
  });
  afterEach(() => {
    db.close();
    t.cleanup();
  });

  it('queues a default rating only after N working days, once per session, never over a real rating', () => {
    session('s-a', ['A-1'], '2026-11-20T10:00:00'); // Fri: 4 working days → window closed Fri 27 00:00
    session('s-b', ['B-1'], '2026-11-23T10:00:00'); // Mon: closes Sat 28 00:00
    session('s-c', ['C-1'], '2026-11-19T10:00:00', 'rated');
    session('s-d', ['D-1'], '2026-11-19T10:00:00'); // rated later on a phone: already queued
    session('s-e', ['E-1', 'E-2'], '2026-11-18T10:00:00'); // batch: one case rated, one not
    outbox.enqueue(rating({ cases: ['D-1'] }), {}, now);
    outbox.enqueue(rating({ cases: ['E-1'] }), {}, now);
    const j = job();
    expect(j.runOnce()).toBe(2);
    const rows = db.prepare(`SELECT o.project_no, p.source, p.context FROM forward_outbox o JOIN forward_payloads p ON p.rating_id = o.rating_id
      WHERE json_extract(p.source, '$.origin') = 'default' ORDER BY o.project_no`).all() as { project_no: string; source: string; context: string }[];
    expect(rows.map((r) => r.project_no)).toEqual(['A-1', 'E-2']);
    expect(JSON.parse(rows[0]!.source)).toMatchObject({ origin: 'default', flags: ['default-rating'], level: 4, sessionId: 's-a', staffId: 'staff-007' });
    expect(JSON.parse(rows[0]!.context)).toMatchObject({ staffName: '王晓燕', itemName: '食品经营许可' });
    expect(db.prepare('SELECT session_id, result FROM forward_default_decisions ORDER BY session_id').all()).toEqual([
      { session_id: 's-a', result: 'sent' }, { session_id: 's-d', result: 'rated' }, { session_id: 's-e', result: 'sent' },
    ]);
    expect(j.runOnce()).toBe(0);
    now = cn('2026-11-28T00:00:01');
    expect(j.runOnce()).toBe(1); // s-b's window has closed
  });

  it('counts 调休 and holidays: served before National Day waits past the holiday week', () => {
    session('s-n', ['N-1'], '2026-09-30T16:00:00');
    now = cn('2026-10-09T12:00:00'); // 4 working days after 30 Sep: 8, 9, 10 (Sat 调休), 12 Oct
    expect(job().runOnce()).toBe(0);
    now = cn('2026-10-13T00:00:00');
    expect(job().runOnce()).toBe(1);
  });

  it('does nothing when the policy is off', () => {
    session('s-a', ['A-1'], '2026-11-01T10:00:00');
    expect(job({ defaultRating: { mode: 'off' } }).runOnce()).toBe(0);
  });

  it('the default record reaches the province marked by its channel code (pf 7 in Zhejiang)', async () => {
    const sim = new ProvincialSimulator({ dataFile: join(t.dir, 'prov.sqlite'), appId: 'a', appSecret: 's' });
    await sim.start();
    try {
      now = Date.now();
      session('s-live', ['L-1'], new Date(now + 8 * 3600_000 - 30 * 86_400_000).toISOString().slice(0, 19));
      expect(job().runOnce()).toBe(1);
      const profile = loadProfile({ name: 'zj', adapter: 'generic-json', endpoint: sim.url, credentials: { appId: 'a', secret: 's' }, codes: { channelVariant: 'zhejiang' }, defaultRating: { mode: 'after-working-days', days: 4 }, retry: { baseMs: 5, maxMs: 20 } });
      const w = new ForwardWorker({ outbox, profile, adapter: adapterFor('generic-json'), applicants: () => null, clock: { now: () => Date.now() }, random: Math.random, log: silent });
      expect(await w.runOnce()).toBe(1);
      expect(sim.record('L-1', '1')!.record).toMatchObject({ pf: '7', satisfaction: '4', proManager: '王晓燕' });
    } finally {
      await sim.stop();
    }
  });
});
