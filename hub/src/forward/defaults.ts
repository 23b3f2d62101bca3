/**
 * Default ratings: a session that was served but not rated within N working days (profile
 * `defaultRating`) is forwarded as level X, origin `default`, flag `default-rating`, with the
 * profile's default channel code. Each session is decided once (forward_default_decisions); a case
 * that already has a first rating queued or sent is left alone (a QR rating may have come later).
 * Working days come from the calendar file (hub/data/calendar/cn.json).
 */
import { randomFillSync } from 'node:crypto';
import type { Logger } from 'pino';
import { uuidv7 } from '@hcp/protocol';
import type { WorkingCalendar } from './calendar.js';
import type { UnratedSessionSource } from './hub-sources.js';
import { profileFingerprint, recordTemplate, type ForwardSource } from './mapping.js';
import type { Db, ForwardOutbox } from './outbox.js';
import type { ProvinceProfile } from './profile.js';
import type { Clock } from './worker.js';

export interface DefaultRatingDeps {
  readonly db: Db;
  readonly outbox: ForwardOutbox;
  readonly sessions: UnratedSessionSource;
  readonly calendar: WorkingCalendar;
  readonly profile: ProvinceProfile;
  readonly clock: Clock;
  readonly log: Logger;
  readonly hallId: string;
  /** How often to look, ms (default hourly). */
  readonly everyMs?: number;
  /** Random bytes for the rating id (injected). */
  readonly fill?: (b: Uint8Array) => Uint8Array;
  /** Called after a commit that queued records (wake the worker). */
  readonly onQueued?: () => void;
}

const DAY_MS = 86_400_000;

export class DefaultRatingJob {
  private timer: NodeJS.Timeout | null = null;
  private readonly decide;
  private readonly fingerprint: string;

  constructor(private readonly deps: DefaultRatingDeps) {
    this.fingerprint = profileFingerprint(deps.profile);
    this.decide = deps.db.prepare('INSERT INTO forward_default_decisions (session_id, rating_id, result, cases, decided_ms) VALUES (?, ?, ?, ?, ?)');
  }

  start(): void {
    if (this.deps.profile.defaultRating.mode === 'off' || this.timer) return;
    const tick = (): void => {
      try {
        this.runOnce();
      } catch (err) {
        this.deps.log.error({ err }, 'forward: default-rating run failed');
      }
    };
    tick();
    this.timer = setInterval(tick, this.deps.everyMs ?? 3_600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; returns the number of default records queued. */
  runOnce(limit = 500): number {
    const policy = this.deps.profile.defaultRating;
    if (policy.mode === 'off') return 0;
    const { clock, calendar, outbox, db } = this.deps;
    const now = clock.now();
    if (!calendar.covers(new Date(now).getUTCFullYear())) {
      this.deps.log.warn({ year: new Date(now).getUTCFullYear() }, 'forward: calendar has no holiday data for this year; only weekends count (update hub/data/calendar)');
    }
    // N working days always span at least N calendar days: a cheap SQL cutoff, then the exact check.
    const candidates = this.deps.sessions.candidates(now - policy.days * DAY_MS, limit);
    let queued = 0;
    db.transaction(() => {
      for (const s of candidates) {
        if (calendar.deadline(s.servedMs, policy.days) > now) continue;
        const open = s.caseNumbers.filter((c) => !outbox.hasCase(c));
        if (open.length === 0) {
          this.decide.run(s.id, null, 'rated', 0, now);
          continue;
        }
        const fill = this.deps.fill ?? ((b: Uint8Array) => randomFillSync(b));
        const source: ForwardSource = {
          id: uuidv7(now, fill), caseNumbers: open, level: policy.level, indicators: [], channel: 5, assessNumber: 1,
          origin: 'default', flags: ['default-rating'], givenAt: new Date(now).toISOString(), indicatorVersion: null,
          sessionId: s.id, staffId: s.staffId, itemCode: s.itemCode, hallId: this.deps.hallId, windowId: s.windowId,
        };
        queued += outbox.enqueue(source, s.context, now, { template: recordTemplate(source, s.context, this.deps.profile), fingerprint: this.fingerprint });
        this.decide.run(s.id, source.id, 'sent', open.length, now);
      }
    })();
    if (queued) {
      this.deps.log.info({ queued }, 'forward: default ratings queued');
      this.deps.onQueued?.();
    }
    return queued;
  }
}
