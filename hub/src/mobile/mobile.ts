/**
 * The phone rating path (二维码 channel, pf 3). A device shows a QR code for its session's signed
 * link `/m/r/<token>` (hub/src/sessions/rate-link.ts); the citizen opens it on a phone and rates
 * there, now or later:
 *
 * - one first rating per session (assessNumber 1) over every channel: a session already rated at
 *   the device or on a phone is answered with HCP_SESSION_ALREADY_RATED;
 * - one follow-up (追加, assessNumber 2) after a first rating, until `followUpWorkingDays` working
 *   days after the service (the policy's rating window), never after the link expired;
 * - exactly once: the page sends an idempotency key (`submissionId`); a double submit or a retry
 *   with the same key gets the stored rating back, and the same key with another body is refused.
 *
 * The rating is a canonical Rating (origin 'mobile', channel 3, clock from the hub) signed with a
 * key derived from the hub's link key, and it is stored through Ingest.storeLocal in ONE
 * transaction with the bookkeeping row here: the same `ratings` table and the same ingest hooks as
 * a device rating (sessions, forwarding outbox, 差评 cases, misuse flags). No applicant data is ever
 * read here: the phone sees the service item, the window and the staff card the device showed.
 */
import { createHash, createHmac, randomFillSync } from 'node:crypto';
import type { Logger } from 'pino';
import {
  CHANNELS, HcpError, LEVEL_NAMES, LEVELS, isBadReview, signRating, uuidv7, verifyRating,
  type IndicatorList, type Level, type Rating, type UnsignedRating,
} from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { WorkingCalendar } from '../forward/calendar.js';
import { inspectRateToken } from '../sessions/rate-link.js';

type After = (fn: () => void | Promise<unknown>) => void;

/** hub/src/inbox/ingest.ts Ingest fits. */
export interface LocalRatingStore {
  storeLocal(tx: Db, r: Rating, nowMs: number, after: After): 'stored' | 'duplicate';
}

export interface Aspect {
  readonly code: string;
  readonly name: string;
}

export interface MobileDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly store: LocalRatingStore;
  /** The 差评 indicator list the devices use (hub device settings), or null when none was set. */
  readonly indicators: () => IndicatorList | null;
  /** Ends a still-pending session on its device once the phone rated it (commands.send 'session.cancel'). */
  readonly endOnDevice: (hallId: string, deviceId: string, sessionId: string, reason: string) => Promise<unknown>;
  readonly calendar: WorkingCalendar;
  readonly fill?: (b: Uint8Array) => Uint8Array;
}

export interface MobileOptions {
  readonly linkKey: string;
  readonly hallId: string;
  readonly followUpWorkingDays: number;
  readonly aspects: readonly Aspect[];
}

export type NextStep = 'first' | 'follow-up' | 'none';
export type ClosedReason = 'followed-up' | 'follow-up-window-closed' | 'follow-up-off' | null;

export interface GivenRating {
  readonly level: Level;
  readonly givenAt: string;
  /** 评价渠道 name, e.g. 二维码 for a phone rating, 政务大厅其他终端 for a keypad. */
  readonly channel: string;
  /** 'default' when the hub forwarded a default rating for the unrated session. */
  readonly origin: string;
}

/** Everything the phone page shows. Deliberately without applicant data and case numbers. */
export interface MobileView {
  readonly hallName: string;
  readonly item: { readonly code: string; readonly name: string };
  readonly window: { readonly id: string; readonly name: string };
  readonly staff: { readonly name: string; readonly number: string; readonly title: string | null; readonly starLevel: number | null; readonly photoUrl: string | null } | null;
  readonly servedAt: string;
  readonly linkExpiresAt: string;
  readonly next: NextStep;
  readonly closedReason: ClosedReason;
  readonly first: GivenRating | null;
  readonly followUp: GivenRating | null;
  readonly followUpUntil: string | null;
  readonly levels: readonly { readonly level: Level; readonly name: string }[];
  readonly indicators: { readonly version: string | null; readonly items: readonly { readonly code: string; readonly name: string; readonly group?: string }[] };
  readonly aspects: readonly Aspect[];
}

export interface MobileSubmission {
  readonly submissionId: string;
  readonly assessNumber: 1 | 2;
  readonly level: Level;
  readonly indicators?: readonly string[];
  readonly subScores?: Readonly<Record<string, Level>>;
  readonly text?: string;
}

export interface SubmitResult {
  readonly ratingId: string;
  readonly assessNumber: 1 | 2;
  readonly level: Level;
  /** true when this key was stored before (double submit, retry): nothing new was stored. */
  readonly duplicate: boolean;
  readonly view: MobileView;
}

interface SessionRow {
  id: string; window_id: string; device_id: string | null; case_numbers: string; item_code: string; item_name: string; staff_id: string;
  outcome: string; served_at: string | null; opened_at: string;
}

/** The key that signs phone ratings: derived from the link key, so no new secret has to be kept. */
export function mobileSigningKey(linkKey: string): Buffer {
  return createHmac('sha256', Buffer.from(linkKey, 'base64url')).update('hcp-mobile-rating-v1').digest();
}

/** Proves a stored origin-'mobile' rating is unaltered since the hub made it (audits, tests). */
export function verifyMobileRating(r: Rating, linkKey: string): boolean {
  return r.origin === 'mobile' && verifyRating(r, mobileSigningKey(linkKey));
}

/** The clock info of a hub-made rating: the hub's own clock is the reference, always trusted. */
const HUB_CLOCK = { trusted: true, source: 'hub', bootId: 'hub-mobile', monoMs: 0 } as const;

export class MobileRatings {
  private readonly counted: (labels?: Record<string, string>, by?: number) => void;

  constructor(private readonly d: MobileDeps, private readonly o: MobileOptions) {
    this.counted = d.metrics.counter('hcp_hub_mobile_ratings_total', 'phone (QR) rating submissions by assessNumber and result');
  }

  /** Checks a link; HCP_RATE_LINK_INVALID / HCP_RATE_LINK_EXPIRED / HCP_SESSION_CANCELLED otherwise. */
  private session(token: string, nowMs: number): { row: SessionRow; expiresMs: number } {
    const t = inspectRateToken(token, this.o.linkKey, nowMs);
    if (t.kind === 'invalid') throw new HcpError('HCP_RATE_LINK_INVALID');
    if (t.kind === 'expired') throw new HcpError('HCP_RATE_LINK_EXPIRED', { expiredAt: new Date(t.expiresMs).toISOString() });
    const row = this.d.db.prepare(`SELECT id, window_id, device_id, case_numbers, item_code, item_name, staff_id, outcome, served_at, opened_at
      FROM sessions WHERE id = ?`).get(t.sessionId) as SessionRow | undefined;
    // a genuine token for a session this hub does not hold (restored backup, other hall): nothing to rate
    if (!row) throw new HcpError('HCP_RATE_LINK_INVALID');
    if (row.outcome === 'cancelled') throw new HcpError('HCP_SESSION_CANCELLED');
    return { row, expiresMs: t.expiresMs };
  }

  /** The page's data for a link. */
  view(token: string): MobileView {
    const now = this.d.clock.now();
    const { row, expiresMs } = this.session(token, now);
    return this.build(row, expiresMs, now);
  }

  private given(sessionId: string): { first: GivenRating | null; followUp: GivenRating | null } {
    const rows = this.d.db.prepare(`SELECT level, COALESCE(corrected_given_at, given_at) AS at, json_extract(body, '$.assessNumber') AS an,
        json_extract(body, '$.channel') AS ch, json_extract(body, '$.origin') AS origin
      FROM ratings WHERE session_id = ? ORDER BY rowid`).all(sessionId) as { level: Level; at: string; an: number; ch: number; origin: string }[];
    const toGiven = (r: (typeof rows)[number]): GivenRating => ({
      level: r.level, givenAt: new Date(Date.parse(r.at)).toISOString(), channel: CHANNELS[r.ch as keyof typeof CHANNELS]?.zh ?? String(r.ch), origin: r.origin,
    });
    const f = rows.find((r) => r.an === 1);
    const u = rows.find((r) => r.an === 2);
    let first = f ? toGiven(f) : null;
    if (!first) {
      // the forwarder's default rating (forward/defaults.ts) stands for the citizen's first rating
      const d = this.d.db.prepare(`SELECT d.decided_ms AS ms, json_extract(p.source, '$.level') AS level FROM forward_default_decisions d
        LEFT JOIN forward_payloads p ON p.rating_id = d.rating_id WHERE d.session_id = ? AND d.result = 'sent'`).get(sessionId) as { ms: number; level: Level | null } | undefined;
      if (d) first = { level: d.level ?? 4, givenAt: new Date(d.ms).toISOString(), channel: '默认评价', origin: 'default' };
    }
    return { first, followUp: u ? toGiven(u) : null };
  }

  private build(row: SessionRow, expiresMs: number, now: number): MobileView {
    const db = this.d.db;
    const hall = db.prepare('SELECT name FROM halls WHERE id = ?').get(this.o.hallId) as { name: string } | undefined;
    const win = db.prepare('SELECT name FROM windows WHERE id = ?').get(row.window_id) as { name: string } | undefined;
    const st = db.prepare('SELECT name, number, title, star_level AS starLevel, photo_type AS photoType FROM staff WHERE id = ?').get(row.staff_id) as
      | { name: string; number: string; title: string | null; starLevel: number | null; photoType: string | null } | undefined;
    const servedMs = Date.parse(row.served_at ?? row.opened_at);
    const { first, followUp } = this.given(row.id);
    const until = this.o.followUpWorkingDays > 0 ? Math.min(this.d.calendar.deadline(servedMs, this.o.followUpWorkingDays), expiresMs) : null;
    let next: NextStep = 'none';
    let closedReason: ClosedReason = null;
    if (!first) next = 'first';
    else if (followUp) closedReason = 'followed-up';
    else if (until === null) closedReason = 'follow-up-off';
    else if (now >= until) closedReason = 'follow-up-window-closed';
    else next = 'follow-up';
    const list = this.d.indicators();
    return {
      hallName: hall?.name ?? '',
      item: { code: row.item_code, name: row.item_name },
      window: { id: row.window_id, name: win?.name ?? row.window_id },
      staff: st ? {
        name: st.name, number: st.number, title: st.title, starLevel: st.starLevel,
        photoUrl: st.photoType ? `/api/staff/${encodeURIComponent(row.staff_id)}/photo` : null,
      } : null,
      servedAt: new Date(servedMs).toISOString(),
      linkExpiresAt: new Date(expiresMs).toISOString(),
      next, closedReason, first, followUp,
      followUpUntil: until === null ? null : new Date(until).toISOString(),
      levels: LEVELS.map((l) => ({ level: l, name: LEVEL_NAMES[l].zh })),
      indicators: { version: list?.version ?? null, items: (list?.items ?? []).map((i) => ({ code: i.code, name: i.name, ...(i.group ? { group: i.group } : {}) })) },
      aspects: this.o.aspects,
    };
  }

  /**
   * Stores a phone rating once. Errors: the link's (see session()), HCP_VALIDATION (400, fields
   * listed) for indicators or aspects the page did not offer, HCP_BAD_REVIEW_NEEDS_REASON,
   * HCP_SESSION_ALREADY_RATED, HCP_FOLLOWUP_NOT_ALLOWED, HCP_CONFLICT (key reused for another body).
   */
  submit(token: string, s: MobileSubmission): SubmitResult {
    const now = this.d.clock.now();
    const { row, expiresMs } = this.session(token, now);
    const text = s.text?.trim() ?? '';
    const indicators = [...(s.indicators ?? [])];
    const list = this.d.indicators();
    const errors: { field: string; rule: string }[] = [];
    const known = new Set((list?.items ?? []).map((i) => i.code));
    indicators.forEach((c, i) => {
      if (!known.has(c)) errors.push({ field: `/indicators/${i}`, rule: 'an indicator of the current list' });
    });
    const aspects = new Set(this.o.aspects.map((a) => a.code));
    for (const k of Object.keys(s.subScores ?? {})) if (!aspects.has(k)) errors.push({ field: `/subScores/${k}`, rule: 'an offered aspect' });
    if (errors.length) throw new HcpError('HCP_VALIDATION', { part: 'body', errors });
    if (isBadReview(s.level) && indicators.length === 0 && text === '') {
      throw new HcpError('HCP_BAD_REVIEW_NEEDS_REASON', { errors: [{ field: '/indicators', rule: 'a reason or a text for 不满意 / 非常不满意' }, { field: '/text', rule: 'a reason or a text for 不满意 / 非常不满意' }] });
    }
    const hash = createHash('sha256')
      .update(JSON.stringify([row.id, s.assessNumber, s.level, [...indicators].sort(), Object.entries(s.subScores ?? {}).sort(), text]))
      .digest('hex');

    const after: (() => void | Promise<unknown>)[] = [];
    let endDevice: { hallId: string; deviceId: string } | null = null;
    const result = this.d.db.transaction((): { ratingId: string; duplicate: boolean } => {
      const db = this.d.db;
      const prior = db.prepare('SELECT rating_id AS ratingId, session_id AS sessionId, request_hash AS hash FROM mobile_ratings WHERE submission_id = ?')
        .get(s.submissionId) as { ratingId: string; sessionId: string; hash: string } | undefined;
      if (prior) {
        if (prior.sessionId !== row.id || prior.hash !== hash) {
          throw new HcpError('HCP_CONFLICT', { field: '/submissionId', rule: 'a new key for a different rating' }, { message: 'this submissionId was used for a different rating' });
        }
        return { ratingId: prior.ratingId, duplicate: true };
      }
      const view = this.build(row, expiresMs, now);
      if (s.assessNumber === 1 && view.first) {
        throw new HcpError('HCP_SESSION_ALREADY_RATED', { first: view.first, next: view.next });
      }
      if (s.assessNumber === 2 && view.next !== 'follow-up') {
        throw new HcpError('HCP_FOLLOWUP_NOT_ALLOWED', { reason: view.first ? view.closedReason : 'no-first-rating', followUpUntil: view.followUpUntil });
      }
      if (!row.device_id) throw new HcpError('HCP_CONFLICT', { sessionId: row.id }, { message: 'session has no device' });
      const dev = db.prepare('SELECT hall_id AS hallId FROM devices WHERE id = ?').get(row.device_id) as { hallId: string } | undefined;
      const ratingId = uuidv7(now, this.d.fill ?? ((b: Uint8Array) => randomFillSync(b)));
      const seq = Number(db.prepare('INSERT INTO mobile_ratings (submission_id, rating_id, session_id, assess_number, request_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(s.submissionId, ratingId, row.id, s.assessNumber, hash, new Date(now).toISOString()).lastInsertRowid);
      const unsigned: UnsignedRating = {
        v: 1, id: ratingId, hallId: dev?.hallId ?? this.o.hallId, deviceId: row.device_id, windowId: row.window_id, sessionId: row.id,
        caseNumbers: JSON.parse(row.case_numbers) as string[], staffId: row.staff_id, itemCode: row.item_code,
        level: s.level, indicators, indicatorVersion: indicators.length ? (list?.version ?? null) : null,
        ...(s.subScores && Object.keys(s.subScores).length ? { subScores: { ...s.subScores } } : {}),
        ...(text ? { text } : {}),
        channel: 3, assessNumber: s.assessNumber, origin: 'mobile', flags: [],
        givenAt: new Date(now).toISOString(), clock: { ...HUB_CLOCK }, seq,
      };
      // read before the store: the sessions hook marks the session rated
      const outcome = (db.prepare('SELECT outcome FROM sessions WHERE id = ?').get(row.id) as { outcome: string }).outcome;
      if (s.assessNumber === 1 && outcome === 'pending' && dev) endDevice = { hallId: dev.hallId, deviceId: row.device_id };
      const rating = signRating(unsigned, mobileSigningKey(this.o.linkKey));
      // a fresh uuidv7 cannot be stored already; 'duplicate' would mean the id generator repeats
      if (this.d.store.storeLocal(db, rating, now, (fn) => after.push(fn)) !== 'stored') throw new HcpError('HCP_INTERNAL', { ratingId });
      return { ratingId, duplicate: false };
    })();
    for (const fn of after) void Promise.resolve().then(fn).catch((err: unknown) => this.d.log.warn({ err }, 'mobile rating follow-up failed'));
    const ended = endDevice as { hallId: string; deviceId: string } | null;
    if (ended) {
      // the citizen rated on the phone while the device still shows the prompt: end it there, so a
      // later press cannot add a second first rating (一次一评)
      this.d.endOnDevice(ended.hallId, ended.deviceId, row.id, '已在手机上完成评价').catch((err: unknown) => this.d.log.warn({ err, sessionId: row.id }, 'could not end the session on its device'));
    }
    this.counted({ assess: String(s.assessNumber), result: result.duplicate ? 'duplicate' : 'stored' });
    const stored = this.d.db.prepare('SELECT level, json_extract(body, \'$.assessNumber\') AS an FROM ratings WHERE id = ?').get(result.ratingId) as { level: Level; an: 1 | 2 };
    return { ratingId: result.ratingId, assessNumber: stored.an, level: stored.level, duplicate: result.duplicate, view: this.build(row, expiresMs, this.d.clock.now()) };
  }

  /** Counts a refused submission (the routes call it with the error code). */
  refused(code: string): void {
    this.counted({ assess: 'n/a', result: code });
  }
}
