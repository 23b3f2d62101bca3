/**
 * The rating session as a pure state machine: one transition function over a discriminated union,
 * time passed in (monotonic ms). No I/O: the controller carries out the returned effects, the
 * `commit` effect first, so a rating is on disk before any screen shows thanks.
 *
 *   idle → prompt (staff card, item, stars) → reasons (1–2 stars) → thanks → idle
 *   any  → refusing (storage full) → idle (storage ok)
 */
import type { IndicatorList, Level, RatingFlag, RatingOrigin, ServiceItem, StaffCard } from '@hcp/protocol';
import { isBadReview } from '@hcp/protocol';

export interface SessionInfo {
  readonly origin: Extract<RatingOrigin, 'session' | 'staff-key' | 'walk-up'>;
  readonly sessionId: string | null;
  readonly caseNumbers: readonly string[];
  readonly staff: StaffCard | null;
  readonly item: ServiceItem | null;
  readonly rateUrl: string | null;
}

export interface SessionSettings {
  readonly responseIntervalMs: number;
  readonly promptTimeoutS: number;
  readonly reasonTimeoutS: number;
  readonly thanksS: number;
  readonly badReviewWithoutReason: 'discard' | 'accept-flagged';
  readonly walkUp: 'refuse' | 'accept-flagged';
}

export type SessionState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'prompt'; readonly session: SessionInfo; readonly deadline: number }
  | { readonly kind: 'reasons'; readonly session: SessionInfo; readonly level: Level; readonly deadline: number }
  | { readonly kind: 'thanks'; readonly session: SessionInfo; readonly level: Level; readonly ratingId: string; readonly until: number }
  | { readonly kind: 'refusing'; readonly reason: 'disk-full' };

export interface Machine {
  readonly state: SessionState;
  /** Monotonic ms of the last accepted star press (the response interval counts from it). */
  readonly lastPress: number | null;
}

export const initialMachine: Machine = { state: { kind: 'idle' }, lastPress: null };

export type SessionEvent =
  /** `timeoutMs`: time left until the hub's expiresAt, when known; the prompt ends at the earlier of it and promptTimeoutS. */
  | { readonly type: 'session.start'; readonly session: SessionInfo; readonly timeoutMs?: number }
  | { readonly type: 'session.cancel'; readonly sessionId: string }
  | { readonly type: 'staff-key'; readonly staff: StaffCard | null }
  | { readonly type: 'star'; readonly level: Level; readonly ratingId: string }
  | { readonly type: 'reason'; readonly codes: readonly string[]; readonly ratingId: string }
  | { readonly type: 'tick'; readonly ratingId: string }
  | { readonly type: 'storage'; readonly ok: boolean };

export interface RatingDraft {
  readonly id: string;
  readonly session: SessionInfo;
  readonly level: Level;
  readonly indicators: readonly string[];
  readonly flags: readonly RatingFlag[];
}

export type IgnoreReason = 'interval' | 'no-session' | 'already-rated' | 'refusing' | 'unknown-reason';
export type SessionOutcome = 'rated' | 'timed-out' | 'cancelled' | 'superseded';

export type Effect =
  | { readonly kind: 'commit'; readonly draft: RatingDraft }
  | { readonly kind: 'ended'; readonly sessionId: string; readonly outcome: SessionOutcome; readonly ratingId?: string }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason }
  | { readonly kind: 'refused'; readonly code: 'HCP_OUTBOX_DISK_FULL' };

export interface Transition {
  readonly machine: Machine;
  readonly effects: readonly Effect[];
}

const WALK_UP: SessionInfo = { origin: 'walk-up', sessionId: null, caseNumbers: [], staff: null, item: null, rateUrl: null };

/** When the machine next needs a `tick`, or null. */
export function nextDeadline(s: SessionState): number | null {
  switch (s.kind) {
    case 'prompt':
    case 'reasons':
      return s.deadline;
    case 'thanks':
      return s.until;
    default:
      return null;
  }
}

function ended(session: SessionInfo, outcome: SessionOutcome, ratingId?: string): Effect[] {
  if (session.sessionId === null) return [];
  return [ratingId === undefined ? { kind: 'ended', sessionId: session.sessionId, outcome } : { kind: 'ended', sessionId: session.sessionId, outcome, ratingId }];
}

function rate(m: Machine, session: SessionInfo, level: Level, id: string, now: number, cfg: SessionSettings, indicators: readonly string[], flags: RatingFlag[]): Transition {
  const allFlags = session.origin === 'walk-up' ? (['walk-up', ...flags] as RatingFlag[]) : flags;
  return {
    machine: { ...m, state: { kind: 'thanks', session, level, ratingId: id, until: now + cfg.thanksS * 1000 } },
    effects: [{ kind: 'commit', draft: { id, session, level, indicators, flags: allFlags } }, ...ended(session, 'rated', id)],
  };
}

function star(m: Machine, session: SessionInfo, level: Level, id: string, now: number, cfg: SessionSettings): Transition {
  const pressed: Machine = { ...m, lastPress: now };
  if (isBadReview(level)) {
    return { machine: { ...pressed, state: { kind: 'reasons', session, level, deadline: now + cfg.reasonTimeoutS * 1000 } }, effects: [] };
  }
  return rate(pressed, session, level, id, now, cfg, [], []);
}

const same = (m: Machine, reason: IgnoreReason): Transition => ({ machine: m, effects: [{ kind: 'ignored', reason }] });

export function transition(m: Machine, ev: SessionEvent, now: number, cfg: SessionSettings, indicators: IndicatorList | null): Transition {
  const s = m.state;
  switch (ev.type) {
    case 'storage':
      if (!ev.ok) {
        const gone = s.kind === 'prompt' || s.kind === 'reasons' ? ended(s.session, 'cancelled') : [];
        return { machine: { ...m, state: { kind: 'refusing', reason: 'disk-full' } }, effects: gone };
      }
      return s.kind === 'refusing' ? { machine: { ...m, state: { kind: 'idle' } }, effects: [] } : { machine: m, effects: [] };

    case 'session.start': {
      if (s.kind === 'refusing') return { machine: m, effects: [{ kind: 'refused', code: 'HCP_OUTBOX_DISK_FULL' }] };
      const superseded = (s.kind === 'prompt' || s.kind === 'reasons') && s.session.sessionId !== ev.session.sessionId ? ended(s.session, 'superseded') : [];
      const wait = Math.min(cfg.promptTimeoutS * 1000, ev.timeoutMs ?? Infinity);
      return { machine: { ...m, state: { kind: 'prompt', session: ev.session, deadline: now + Math.max(0, wait) } }, effects: superseded };
    }

    case 'session.cancel':
      if ((s.kind === 'prompt' || s.kind === 'reasons') && s.session.sessionId === ev.sessionId) {
        return { machine: { ...m, state: { kind: 'idle' } }, effects: ended(s.session, 'cancelled') };
      }
      return { machine: m, effects: [] };

    case 'staff-key': {
      if (s.kind === 'refusing') return same(m, 'refusing');
      if (s.kind === 'prompt' || s.kind === 'reasons') return { machine: m, effects: [] };
      const session: SessionInfo = { origin: 'staff-key', sessionId: null, caseNumbers: [], staff: ev.staff, item: null, rateUrl: null };
      return { machine: { ...m, state: { kind: 'prompt', session, deadline: now + cfg.promptTimeoutS * 1000 } }, effects: [] };
    }

    case 'star': {
      if (s.kind === 'refusing') return same(m, 'refusing');
      if (m.lastPress !== null && now - m.lastPress < cfg.responseIntervalMs) return same(m, 'interval');
      switch (s.kind) {
        case 'prompt':
          return star(m, s.session, ev.level, ev.ratingId, now, cfg);
        case 'reasons':
          // A change of mind on the reasons screen: a better level rates now, another bad level waits for reasons.
          return star(m, s.session, ev.level, ev.ratingId, now, cfg);
        case 'idle':
        case 'thanks':
          // After thanks the session is used up; only walk-up ratings (if allowed) start afresh.
          if (cfg.walkUp === 'accept-flagged') return star(m, WALK_UP, ev.level, ev.ratingId, now, cfg);
          return same(m, s.kind === 'idle' ? 'no-session' : 'already-rated');
      }
      return same(m, 'no-session');
    }

    case 'reason': {
      if (s.kind !== 'reasons') return same(m, s.kind === 'refusing' ? 'refusing' : s.kind === 'thanks' ? 'already-rated' : 'no-session');
      const known = new Set((indicators?.items ?? []).map((i) => i.code));
      const codes = [...new Set(ev.codes)].filter((c) => known.has(c));
      if (codes.length === 0) return same(m, 'unknown-reason');
      return rate(m, s.session, s.level, ev.ratingId, now, cfg, codes, []);
    }

    case 'tick':
      switch (s.kind) {
        case 'prompt':
          return now >= s.deadline ? { machine: { ...m, state: { kind: 'idle' } }, effects: ended(s.session, 'timed-out') } : { machine: m, effects: [] };
        case 'reasons':
          if (now < s.deadline) return { machine: m, effects: [] };
          // Recorded as such: either a flagged rating without reasons, or a timed-out session.
          if (cfg.badReviewWithoutReason === 'accept-flagged') return rate(m, s.session, s.level, ev.ratingId, now, cfg, [], ['no-reason-timeout']);
          return { machine: { ...m, state: { kind: 'idle' } }, effects: ended(s.session, 'timed-out') };
        case 'thanks':
          return now >= s.until ? { machine: { ...m, state: { kind: 'idle' } }, effects: [] } : { machine: m, effects: [] };
        default:
          return { machine: m, effects: [] };
      }
  }
}
