/**
 * Misuse flags (刷好评 / 干扰评价 detection; docs/misuse.md). Computed at ingest by an ingest hook
 * (and again for time rules when a device clock gets corrected), stored in `misuse_flags`, shown on
 * the dashboard, acknowledged by an operator (audited). A flag never drops, changes or hides a
 * rating: statistics ignore flags; only a reviewer's exclusion (hub/src/cases) removes a rating
 * from results. The hook swallows its own errors (see guarded()), so a broken rule can never cost a
 * rating.
 *
 * Rules (thresholds in config `misuse`):
 * - top-burst        ≥ N 非常满意 first ratings at one window within M s (one window serves one
 *                    citizen at a time; N services in M s is not possible at a counter)
 * - off-hours        a rating given outside the hall's opening hours (calendar working days, with a
 *                    grace period); phone and default ratings are exempt (they are made later by design)
 * - walk-up          a rating without any session (device accepted it by configuration, flag 'walk-up')
 * - fast-after-open  a session rating given sooner after the session opened than a person can read
 *                    the staff card and press (the staff member pressing for the citizen)
 * - staff-key-burst  ≥ N ratings of staff-started sessions (staff key) at one device within M s
 *                    (staff starting and finishing ratings back to back, no citizen in between)
 * Time rules use the rating's effective time; ratings whose device clock is untrusted and not yet
 * corrected are judged when the correction arrives.
 */
import type { Logger } from 'pino';
import { HcpError, type Rating, type RatingFlag } from '@hcp/protocol';
import type { Db, Stmt } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { AuditLog } from '../audit.js';
import type { EventBus } from '../events/bus.js';
import { chinaDate, type WorkingCalendar } from '../forward/calendar.js';

export const RULES = ['top-burst', 'off-hours', 'walk-up', 'fast-after-open', 'staff-key-burst'] as const;
export type Rule = (typeof RULES)[number];

export interface MisuseOptions {
  readonly topBurstCount: number;
  readonly topBurstWithinS: number;
  readonly fastAfterOpenS: number;
  readonly staffKeyBurstCount: number;
  readonly staffKeyBurstWithinS: number;
  readonly openingHours: { readonly open: string; readonly close: string; readonly days: 'working-days' | 'every-day'; readonly graceMin: number };
}

export interface MisuseDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly bus: EventBus;
  readonly calendar: WorkingCalendar;
}

/** What the rules look at, from a stored rating. */
export interface RatingFacts {
  readonly id: string;
  readonly hallId: string;
  readonly windowId: string;
  readonly deviceId: string;
  readonly staffId: string | null;
  readonly sessionId: string | null;
  readonly level: number;
  readonly origin: Rating['origin'];
  readonly assessNumber: number;
  readonly flags: readonly RatingFlag[];
  /** Effective time, or null while the device clock is untrusted and uncorrected. */
  readonly atMs: number | null;
  /** Effective time as stored (the device's own while uncorrected). */
  readonly givenAt: string;
}

export interface MisuseFlag {
  readonly id: number;
  readonly rule: Rule;
  readonly ratingId: string;
  readonly windowId: string;
  readonly windowName: string | null;
  readonly deviceId: string;
  readonly staffId: string | null;
  readonly staffName: string | null;
  readonly level: number;
  readonly origin: string;
  readonly givenAt: string;
  readonly detectedAt: string;
  readonly detail: Record<string, unknown>;
  readonly state: 'open' | 'acknowledged';
  readonly ackBy: string | null;
  readonly ackAt: string | null;
  readonly ackNote: string | null;
}

interface FlagRow {
  id: number; rule: Rule; rating_id: string; window_id: string; window_name: string | null; device_id: string; staff_id: string | null;
  staff_name: string | null; level: number; origin: string; given_at: string; detected_at: string; detail: string | null;
  state: 'open' | 'acknowledged'; ack_by: string | null; ack_at: string | null; ack_note: string | null;
}

const DAY_MS = 86_400_000;
const CN_MS = 8 * 3_600_000;
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const chinaClock = (ms: number): string => new Date(ms + CN_MS).toISOString().slice(0, 16).replace('T', ' ');

/** Facts from a rating as the ingest hook sees it. */
export function factsOf(r: Rating, givenAt: string, flags: readonly RatingFlag[]): RatingFacts {
  const known = r.clock.trusted || flags.includes('clock-corrected');
  return {
    id: r.id, hallId: r.hallId, windowId: r.windowId, deviceId: r.deviceId, staffId: r.staffId, sessionId: r.sessionId,
    level: r.level, origin: r.origin, assessNumber: r.assessNumber, flags, atMs: known ? Date.parse(givenAt) : null, givenAt,
  };
}

/**
 * Groups of ≥ count marks spanning ≤ withinMs that contain `at` (marks sorted ascending). Returns
 * the union of their members: every rating in such a burst is flagged, not only the one that
 * completed it.
 */
export function burstMembers<T extends { atMs: number }>(marks: readonly T[], atMs: number, count: number, withinMs: number): T[] {
  const out = new Set<T>();
  let j = 0;
  for (let i = 0; i < marks.length; i++) {
    if (j < i) j = i;
    while (j + 1 < marks.length && marks[j + 1]!.atMs - marks[i]!.atMs <= withinMs) j++;
    if (j - i + 1 >= count && marks[i]!.atMs <= atMs && atMs <= marks[j]!.atMs) for (let k = i; k <= j; k++) out.add(marks[k]!);
  }
  return [...out];
}

/** When the rules run (see MisuseFlags): defaults suit a hall; tests pass their own. */
export interface MisuseTiming {
  /** How long the first rating waiting to be judged waits for company (default 20 ms). */
  readonly windowMs?: number;
  /**
   * Judging transactions start at least this far apart (default 500 ms). Each writes the newest
   * mark page of every window and device it touched once, so the page writes per second are
   * bounded by the hall's size instead of growing with its traffic.
   */
  readonly minIntervalMs?: number;
  /** Ratings per judging transaction (default 2,000): a backlog is judged in slices, the event loop breathes between them. */
  readonly maxBatch?: number;
  /** After a judging transaction failed (disk full, I/O), try again after this long (default 5,000 ms). */
  readonly retryMs?: number;
}

interface Mark {
  readonly id: string;
  readonly atMs: number;
}

/** The most scopes whose newest marks are kept in memory (a hall has far fewer windows and devices). */
const TAILS_MAX = 50_000;

export class MisuseFlags {
  private readonly flagged: (labels?: Record<string, string>, by?: number) => void;
  private readonly failures: (labels?: Record<string, string>, by?: number) => void;
  private readonly judged: (labels?: Record<string, string>, by?: number) => void;
  /** Prepared once: the rules run for every stored rating. */
  private readonly stmts = new Map<string, Stmt>();
  /** Committed ratings not yet judged, in rowid order (filled after each storing commit). */
  private queue: { readonly rowid: number; readonly facts: RatingFacts }[] = [];
  /** The last ratings.rowid judged (misuse_cursor), read on first use. */
  private cursor: number | undefined;
  /**
   * Ratings up to this rowid (the newest at the first run) are judged from the table first: those a
   * stopped hub left unjudged are in no queue. Set lazily so no order of start(), storing and
   * drain() can move the cursor past them.
   */
  private catchUpTo: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRunAt = -Infinity;
  private state: 'idle' | 'started' | 'stopped' = 'idle';
  /**
   * The newest count−1 marks of each scope as committed by the judging transactions, the only
   * writer of misuse_marks: a rating newer than all of them (ratings mostly arrive in time order)
   * is judged without reading the table. Dropped whole when a judging transaction fails.
   */
  private readonly tails = new Map<string, Mark[]>();

  constructor(private readonly d: MisuseDeps, private readonly o: MisuseOptions, private readonly timing: MisuseTiming = {}) {
    this.flagged = d.metrics.counter('hcp_hub_misuse_flags_total', 'misuse flags raised by rule');
    this.failures = d.metrics.counter('hcp_hub_misuse_errors_total', 'misuse rule evaluations that failed (the rating was stored all the same)');
    d.metrics.gauge('hcp_hub_misuse_flags_open', 'misuse flags not yet acknowledged, by rule', () =>
      (d.db.prepare("SELECT rule, COUNT(*) AS n FROM misuse_flags WHERE state = 'open' GROUP BY rule").all() as { rule: string; n: number }[])
        .map((r) => ({ labels: { rule: r.rule }, value: r.n })));
    this.judged = d.metrics.counter('hcp_hub_misuse_judged_total', 'stored ratings the misuse rules have judged');
    d.metrics.gauge('hcp_hub_misuse_queue', 'stored ratings waiting for the misuse rules', () => this.queue.length + Math.max(0, (this.catchUpTo ?? 0) - (this.cursor ?? 0)));
  }

  private st(db: Db, sql: string): Stmt {
    if (db !== this.d.db) return db.prepare(sql);
    let s = this.stmts.get(sql);
    if (!s) {
      s = db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Ingest hook (hub.onRatingStored). The rules run after the rating's commit, in batches (see
   * MisuseTiming): they never hold up or roll back a rating, and a hub stopped in between judges
   * the rest at its next start (misuse_cursor).
   */
  readonly hook = (_tx: Db, stored: { rating: Rating; givenAt: string; flags: readonly RatingFlag[]; rowid: number }, after: (fn: () => void) => void): void => {
    const facts = factsOf(stored.rating, stored.givenAt, stored.flags);
    after(() => {
      this.queue.push({ rowid: stored.rowid, facts });
      this.schedule();
    });
  };

  /**
   * Clock-correction listener (hub.onRatingsCorrected): the time rules again, now that the time is
   * known. Recorded in the correcting transaction (misuse_pending), judged after it.
   */
  readonly onCorrected = (tx: Db, c: { ratingIds: readonly string[] }): void => {
    const put = this.st(tx, 'INSERT OR IGNORE INTO misuse_pending (rating_id) VALUES (?)');
    for (const id of c.ratingIds) put.run(id);
    if (c.ratingIds.length) this.schedule();
  };

  /** Judges what was stored while the hub was down, then keeps up with new ratings. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'started';
    const behind = this.readCatchUp() - this.readCursor();
    if (behind > 0) this.d.log.info({ ratings: behind }, 'judging ratings stored since the hub last stopped');
    this.schedule();
  }

  /** Judges everything queued so far, then stops (ratings stored later are judged at the next start). */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drain();
  }

  /** Judges everything waiting now, synchronously (stop(), and tests). */
  drain(): void {
    while (this.runOnce() === 'more');
  }

  private schedule(now = false): void {
    if (this.timer || this.state !== 'started') return;
    const since = performance.now() - this.lastRunAt; // pacing only: real time, not the injected clock
    const wait = now ? 0 : Math.max(this.timing.windowMs ?? 20, (this.timing.minIntervalMs ?? 500) - since);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      let r: 'done' | 'more' | 'failed';
      try {
        r = this.runOnce();
      } catch (err) {
        // reading what to judge failed (database closed or broken): never an uncaught error in a timer
        this.failures();
        this.d.log.error({ err }, 'misuse rules could not run; trying again later');
        r = 'failed';
      }
      if (r === 'more') this.schedule(true);
      else if (r === 'failed') this.timer = setTimeout(() => { this.timer = undefined; this.schedule(true); }, this.timing.retryMs ?? 5_000);
    }, wait);
    this.timer.unref?.();
  }

  private readCatchUp(): number {
    this.catchUpTo ??= (this.d.db.prepare('SELECT COALESCE(MAX(rowid), 0) AS n FROM ratings').get() as { n: number }).n;
    return this.catchUpTo;
  }

  private readCursor(): number {
    this.cursor ??= (this.d.db.prepare('SELECT last_rowid AS n FROM misuse_cursor WHERE id = 1').get() as { n: number } | undefined)?.n ?? 0;
    return this.cursor;
  }

  /** One judging transaction over at most maxBatch ratings. */
  private runOnce(): 'done' | 'more' | 'failed' {
    this.lastRunAt = performance.now();
    const db = this.d.db;
    const max = this.timing.maxBatch ?? 2_000;
    const cursor = this.readCursor();
    const catchUpTo = this.readCatchUp();
    // ratings stored before start() first, from the table: the queue may hold later ones, and the cursor only moves forward
    const fromDb = catchUpTo > cursor
      ? (this.st(db, 'SELECT rowid, body, flags, given_at AS givenAt, corrected_given_at AS corrected FROM ratings WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?')
        .all(cursor, catchUpTo, max) as { rowid: number; body: string; flags: string; givenAt: string; corrected: string | null }[])
        .map((r) => ({ rowid: r.rowid, facts: factsOf(JSON.parse(r.body) as Rating, r.corrected ?? r.givenAt, JSON.parse(r.flags) as RatingFlag[]) }))
      : null;
    // queued in commit order, which is rowid order (a phone rating's follow-up runs a microtask later: sorted to be sure)
    const taken = fromDb ?? this.queue.splice(0, max).sort((a, b) => a.rowid - b.rowid);
    const corrected = (this.st(db, 'SELECT rating_id AS id FROM misuse_pending LIMIT ?').all(max) as { id: string }[]).map((r) => r.id);
    if (taken.length === 0 && corrected.length === 0) return 'done';
    const raised: Rule[] = [];
    let last = cursor;
    let n = 0;
    try {
      db.transaction(() => {
        for (const t of taken) {
          if (!fromDb && t.rowid <= catchUpTo) continue; // judged from the table (stored before the first run, and queued too)
          this.guarded(db, raised, () => this.evaluate(db, t.facts));
          last = Math.max(last, t.rowid);
          n++;
        }
        for (const id of corrected) {
          this.guarded(db, raised, () => {
            const f = this.facts(db, id);
            if (!f) return [];
            if (f.atMs !== null) this.st(db, 'UPDATE misuse_flags SET given_at = ? WHERE rating_id = ?').run(new Date(f.atMs).toISOString(), id);
            return this.evaluate(db, f);
          });
          this.st(db, 'DELETE FROM misuse_pending WHERE rating_id = ?').run(id);
        }
        if (last > cursor) this.st(db, 'UPDATE misuse_cursor SET last_rowid = ? WHERE id = 1').run(last);
      })();
    } catch (err) {
      // nothing of this slice was kept: judge it again later (the marks in memory may not be in the table)
      this.tails.clear();
      if (!fromDb) this.queue.unshift(...taken);
      this.failures({}, 1);
      this.d.log.error({ err, ratings: taken.length }, 'misuse rules could not be saved; trying again later');
      return 'failed';
    }
    this.cursor = last;
    this.judged({}, n);
    if (raised.length) {
      for (const rule of raised) this.flagged({ rule });
      this.d.bus.emit('misuse.flagged', new Date(this.d.clock.now()).toISOString(), { rules: [...new Set(raised)], count: raised.length });
    }
    return this.queue.length > 0 || catchUpTo > last || corrected.length === max ? 'more' : 'done';
  }

  /**
   * Runs the rules of one rating without a savepoint of their own (it cost more than the rules):
   * each write is one statement, atomic by itself, so a failing rule can leave at most some of its
   * flags or marks, never a broken row; the rating is counted as a failure and the rest of the
   * batch goes on. Only if SQLite itself rolled back the whole transaction (disk full, I/O error)
   * is the error passed on, so the batch is judged again later.
   */
  private guarded(tx: Db, raised: Rule[], run: () => Rule[]): void {
    try {
      raised.push(...run());
    } catch (err) {
      if (!tx.inTransaction) throw err;
      this.failures();
      this.d.log.error({ err }, 'misuse rules failed for a rating; it stays stored, unflagged');
    }
  }

  /** Facts of a stored rating (for flags raised on earlier burst members, and corrections). */
  facts(tx: Db, ratingId: string): RatingFacts | null {
    const r = this.st(tx, 'SELECT body, flags, given_at AS givenAt, corrected_given_at AS corrected FROM ratings WHERE id = ?').get(ratingId) as
      | { body: string; flags: string; givenAt: string; corrected: string | null } | undefined;
    if (!r) return null;
    const rating = JSON.parse(r.body) as Rating;
    return factsOf(rating, r.corrected ?? r.givenAt, JSON.parse(r.flags) as RatingFlag[]);
  }

  /** Runs every rule on one rating; returns the rules that raised a new flag. */
  evaluate(tx: Db, f: RatingFacts): Rule[] {
    const now = this.d.clock.now();
    const raised: Rule[] = [];
    const flag = (rule: Rule, target: RatingFacts, detail: Record<string, unknown>): void => {
      const added = this.st(tx, `INSERT INTO misuse_flags (rule, rating_id, hall_id, window_id, device_id, staff_id, level, origin, given_at, detected_at, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule, rating_id) DO NOTHING`).run(
        rule, target.id, target.hallId, target.windowId, target.deviceId, target.staffId, target.level, target.origin,
        target.atMs === null ? target.givenAt : new Date(target.atMs).toISOString(), new Date(now).toISOString(), JSON.stringify(detail)).changes;
      if (added) raised.push(rule);
    };

    if (f.origin === 'walk-up' || f.flags.includes('walk-up')) flag('walk-up', f, {});
    if (f.atMs === null) return raised;
    const at = f.atMs;

    // off-hours: phone (QR) ratings are given after the visit by design, default ratings by the hub
    if (f.origin !== 'mobile' && f.origin !== 'default') {
      const h = this.o.openingHours;
      const date = chinaDate(at);
      const minute = Math.floor(((at + CN_MS) % DAY_MS) / 60_000);
      const openDay = h.days === 'every-day' || this.d.calendar.isWorkingDay(date);
      const from = minutesOf(h.open) - h.graceMin;
      const to = minutesOf(h.close) + h.graceMin;
      const reason = !openDay ? 'closed-day' : minute < from ? 'before-open' : minute > to ? 'after-close' : null;
      if (reason) flag('off-hours', f, { reason, localTime: chinaClock(at), hours: `${h.open}-${h.close}`, days: h.days, graceMin: h.graceMin });
    }

    // fast-after-open: the session's open time is the hub's clock, the rating's the device's (trusted)
    if (f.origin === 'session' && f.sessionId && this.o.fastAfterOpenS > 0) {
      const s = this.st(tx, 'SELECT opened_at AS openedAt FROM sessions WHERE id = ?').get(f.sessionId) as { openedAt: string } | undefined;
      if (s) {
        const ms = at - Date.parse(s.openedAt);
        if (ms < this.o.fastAfterOpenS * 1000) flag('fast-after-open', f, { secondsAfterOpen: Math.round(ms / 100) / 10, thresholdS: this.o.fastAfterOpenS });
      }
    }

    // Only the count−1 nearest marks on each side of this rating are read: any window of ≤ withinS
    // holding ≥ count marks and this rating contains a run of count consecutive marks through it,
    // and that run lies within them. Reading the whole ±withinS span instead made a burst of n
    // ratings cost O(n²) rows (a device draining thousands of same-second ratings stalled ingest).
    // Earlier members further away were flagged when the run that holds them was completed.
    const burst = (kind: 'top' | 'staff-key', scope: string, rule: Rule, count: number, withinS: number): void => {
      const added = this.st(tx, 'INSERT OR IGNORE INTO misuse_marks (kind, scope, at_ms, rating_id) VALUES (?, ?, ?, ?)').run(kind, scope, at, f.id).changes > 0;
      const w = withinS * 1000;
      const lim = Math.max(1, Math.trunc(count - 1));
      let before: Mark[];
      let after: Mark[];
      const key = `${kind}\n${scope}`;
      const tail = tx === this.d.db ? this.tail(key, kind, scope, lim, added ? f.id : null) : undefined;
      const newest = tail?.[tail.length - 1];
      if (added && tail && (newest === undefined || at > newest.atMs || (at === newest.atMs && f.id > newest.id))) {
        // newer than every mark of the scope: its nearest earlier ones are the tail, none come after
        before = tail.filter((m) => m.atMs >= at - w).reverse();
        after = [];
        tail.push({ id: f.id, atMs: at });
        if (tail.length > lim) tail.shift();
      } else {
        if (tail) this.tails.delete(key); // a mark inside the tail's span (or a re-judged one): read it afresh next time
        // both time bounds as plain ranges: SQLite cannot bound an index range by the OR, so without
        // `at_ms <= at` / `at_ms >= at` each query walked every mark of the scope on the far side of
        // `at` (all of a window's history: ~0.6 ms per query at 20k marks, growing for ever)
        // LIMIT as a literal (count is a config integer, one statement per value): a bound LIMIT is a
        // parameter the planner may use, so SQLite re-prepares the statement on every run (≈ 5 µs of
        // the ≈ 7 µs each of these cost with `LIMIT ?`)
        before = this.st(tx, `SELECT rating_id AS id, at_ms AS atMs FROM misuse_marks WHERE kind = ? AND scope = ? AND at_ms >= ? AND at_ms <= ?
          AND (at_ms < ? OR (at_ms = ? AND rating_id < ?)) ORDER BY at_ms DESC, rating_id DESC LIMIT ${lim}`)
          .all(kind, scope, at - w, at, at, at, f.id) as Mark[];
        after = this.st(tx, `SELECT rating_id AS id, at_ms AS atMs FROM misuse_marks WHERE kind = ? AND scope = ? AND at_ms <= ? AND at_ms >= ?
          AND (at_ms > ? OR (at_ms = ? AND rating_id > ?)) ORDER BY at_ms, rating_id LIMIT ${lim}`)
          .all(kind, scope, at + w, at, at, at, f.id) as Mark[];
      }
      if (before.length + after.length + 1 < count) return;
      const marks = [...before.reverse(), { id: f.id, atMs: at }, ...after];
      const members = burstMembers(marks, at, count, w);
      if (members.length === 0) return;
      const detail = {
        count: members.length, threshold: count, withinS, from: new Date(members[0]!.atMs).toISOString(), to: new Date(members[members.length - 1]!.atMs).toISOString(),
        ratingIds: members.slice(0, 20).map((m) => m.id),
      };
      const has = this.st(tx, 'SELECT 1 FROM misuse_flags WHERE rule = ? AND rating_id = ?');
      for (const m of members) {
        if (m.id !== f.id && has.get(rule, m.id)) continue; // flagged with an earlier member of this burst
        const target = m.id === f.id ? f : this.facts(tx, m.id);
        if (target) flag(rule, target, detail);
      }
    };
    if (f.level === 5 && f.assessNumber === 1 && f.origin !== 'default') burst('top', f.windowId, 'top-burst', this.o.topBurstCount, this.o.topBurstWithinS);
    if (f.origin === 'staff-key') burst('staff-key', f.deviceId, 'staff-key-burst', this.o.staffKeyBurstCount, this.o.staffKeyBurstWithinS);
    return raised;
  }

  /**
   * The scope's newest `lim` marks (ascending), from memory or read once; `exclude` is a mark just
   * inserted, not yet part of the tail.
   */
  private tail(key: string, kind: string, scope: string, lim: number, exclude: string | null): Mark[] {
    let t = this.tails.get(key);
    if (!t) {
      if (this.tails.size >= TAILS_MAX) this.tails.clear();
      t = (this.st(this.d.db, `SELECT rating_id AS id, at_ms AS atMs FROM misuse_marks WHERE kind = ? AND scope = ? AND rating_id IS NOT ?
        ORDER BY at_ms DESC, rating_id DESC LIMIT ${lim}`).all(kind, scope, exclude) as Mark[]).reverse();
      this.tails.set(key, t);
    }
    return t;
  }

  list(q: { state?: 'open' | 'acknowledged'; rule?: Rule; windowId?: string; limit: number; before?: number }): { items: MisuseFlag[]; open: Record<string, number> } {
    const rows = this.d.db.prepare(`SELECT f.*, w.name AS window_name, st.name AS staff_name FROM misuse_flags f
        LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN staff st ON st.id = f.staff_id
      WHERE (@state IS NULL OR f.state = @state) AND (@rule IS NULL OR f.rule = @rule) AND (@win IS NULL OR f.window_id = @win) AND f.id < @before
      ORDER BY f.id DESC LIMIT @limit`).all({ state: q.state ?? null, rule: q.rule ?? null, win: q.windowId ?? null, before: q.before ?? Number.MAX_SAFE_INTEGER, limit: q.limit }) as FlagRow[];
    const open: Record<string, number> = Object.fromEntries(RULES.map((r) => [r, 0]));
    for (const r of this.d.db.prepare("SELECT rule, COUNT(*) AS n FROM misuse_flags WHERE state = 'open' GROUP BY rule").all() as { rule: string; n: number }[]) open[r.rule] = r.n;
    return { items: rows.map(view), open };
  }

  get(id: number): MisuseFlag | null {
    const r = this.d.db.prepare(`SELECT f.*, w.name AS window_name, st.name AS staff_name FROM misuse_flags f
      LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN staff st ON st.id = f.staff_id WHERE f.id = ?`).get(id) as FlagRow | undefined;
    return r ? view(r) : null;
  }

  /**
   * An operator has looked at these flags (note: what was found). All or nothing: HCP_NOT_FOUND for
   * an unknown id, HCP_CONFLICT for one acknowledged before. One audit entry per flag.
   */
  acknowledge(ids: readonly number[], actor: string, note: string): MisuseFlag[] {
    const at = new Date(this.d.clock.now()).toISOString();
    this.d.db.transaction(() => {
      for (const id of ids) {
        const f = this.d.db.prepare('SELECT rule, rating_id AS ratingId, state FROM misuse_flags WHERE id = ?').get(id) as { rule: string; ratingId: string; state: string } | undefined;
        if (!f) throw new HcpError('HCP_NOT_FOUND', { flagId: id });
        if (f.state !== 'open') throw new HcpError('HCP_CONFLICT', { flagId: id, state: f.state }, { message: `flag ${id} is already acknowledged` });
        this.d.db.prepare("UPDATE misuse_flags SET state = 'acknowledged', ack_by = ?, ack_at = ?, ack_note = ? WHERE id = ?").run(actor, at, note, id);
        this.d.audit.record(actor, 'misuse.acknowledge', `misuse:${id}`, { rule: f.rule, ratingId: f.ratingId, note });
      }
    })();
    return ids.map((id) => this.get(id)!);
  }
}

function view(r: FlagRow): MisuseFlag {
  return {
    id: r.id, rule: r.rule, ratingId: r.rating_id, windowId: r.window_id, windowName: r.window_name, deviceId: r.device_id, staffId: r.staff_id,
    staffName: r.staff_name, level: r.level, origin: r.origin, givenAt: r.given_at, detectedAt: r.detected_at,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {}, state: r.state, ackBy: r.ack_by, ackAt: r.ack_at, ackNote: r.ack_note,
  };
}
