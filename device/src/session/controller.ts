/**
 * Runs the session machine: feeds it events with fresh rating ids and the monotonic time, carries
 * out its effects (commit first, synchronously, so the row is durable before the screen changes),
 * keeps the one timer for the next deadline, and counts ignored presses.
 */
import type { Logger } from 'pino';
import {
  uuidv7, type IndicatorList, type RandomFill, type Rating, type RatingFlag, type StaffCard, type UnsignedRating,
} from '@hcp/protocol';
import { HcpError } from '@hcp/protocol';
import type { Outbox } from '../outbox/outbox.js';
import { RatingSigner } from './sign.js';
import type { Clock, DeviceTime } from '../time/clock.js';
import {
  initialMachine, nextDeadline, transition, type Effect, type IgnoreReason, type Machine, type RatingDraft, type SessionEvent, type SessionSettings,
} from './machine.js';

export interface RatingIdentity {
  readonly hallId: string;
  readonly deviceId: string;
  readonly windowId: string;
  readonly signingKey: string;
}

export interface ControllerDeps {
  readonly clock: Clock;
  readonly time: DeviceTime;
  readonly fill: RandomFill;
  readonly outbox: Outbox;
  readonly log: Logger;
  readonly channel: 4 | 5;
  readonly identity: () => RatingIdentity;
  readonly settings: () => SessionSettings;
  readonly indicators: () => IndicatorList | null;
  readonly onChange: (m: Machine) => void;
  readonly onCommitted: (r: Rating) => void;
  readonly onEnded: (e: Extract<Effect, { kind: 'ended' }>) => void;
  /** A commit failed for lack of space; the machine is now refusing. */
  readonly onStorageFull?: () => void;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ControllerEvent = DistributiveOmit<SessionEvent, 'ratingId'>;

export class SessionController {
  private m: Machine = initialMachine;
  private timer: unknown = null;
  readonly ignored: Record<IgnoreReason, number> = { interval: 0, 'no-session': 0, 'already-rated': 0, refusing: 0, 'unknown-reason': 0 };
  committed = 0;
  lastStaff: StaffCard | null = null;
  /** The signer for the current identity's key (decoding the key on every press is waste). */
  private signer: RatingSigner | null = null;

  constructor(private readonly d: ControllerDeps) {}

  get machine(): Machine {
    return this.m;
  }

  get ignoredTotal(): number {
    return Object.values(this.ignored).reduce((a, b) => a + b, 0);
  }

  start(): void {
    this.arm();
  }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Feeds one event; returns the effects carried out (e.g. to answer a command). */
  dispatch(ev: ControllerEvent): readonly Effect[] {
    const full = ('ratingId' in ev ? ev : { ...ev, ratingId: uuidv7(this.d.time.now(), this.d.fill) }) as SessionEvent;
    const now = this.d.clock.mono();
    const t = transition(this.m, full, now, this.d.settings(), this.d.indicators());
    const done: Effect[] = [];
    for (const e of t.effects) {
      if (e.kind === 'commit') {
        try {
          const r = this.commit(e.draft);
          this.committed++;
          done.push(e);
          this.m = t.machine;
          this.d.onCommitted(r);
        } catch (err) {
          if (err instanceof HcpError && err.code === 'HCP_OUTBOX_DISK_FULL') {
            this.d.log.error({ err }, 'outbox full; refusing new ratings');
            this.d.onStorageFull?.();
            // Never show thanks for a rating that is not on disk.
            const r2 = transition(this.m, { type: 'storage', ok: false }, now, this.d.settings(), this.d.indicators());
            this.m = r2.machine;
            for (const e2 of r2.effects) if (e2.kind === 'ended') this.d.onEnded(e2);
            this.changed();
            return [...done, { kind: 'refused', code: 'HCP_OUTBOX_DISK_FULL' }];
          }
          throw err;
        }
      } else {
        if (e.kind === 'ignored') this.ignored[e.reason]++;
        if (e.kind === 'ended') this.d.onEnded(e);
        done.push(e);
      }
    }
    if (full.type === 'session.start' && full.session.staff) this.lastStaff = full.session.staff;
    this.m = t.machine;
    this.changed();
    return done;
  }

  private changed(): void {
    this.arm();
    this.d.onChange(this.m);
  }

  private arm(): void {
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
    const at = nextDeadline(this.m.state);
    if (at === null) return;
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = null;
      this.dispatch({ type: 'tick' });
    }, Math.max(0, at - this.d.clock.mono()));
  }

  private commit(draft: RatingDraft): Rating {
    const id = this.d.identity();
    const clock = this.d.time.info();
    const list = this.d.indicators();
    const flags: RatingFlag[] = [...draft.flags];
    if (!clock.trusted) flags.push('clock-untrusted');
    return this.d.outbox.commit((seq) => {
      const unsigned: UnsignedRating = {
        v: 1,
        id: draft.id,
        hallId: id.hallId,
        deviceId: id.deviceId,
        windowId: id.windowId,
        sessionId: draft.session.sessionId,
        caseNumbers: [...draft.session.caseNumbers],
        staffId: draft.session.staff?.id ?? null,
        itemCode: draft.session.item?.code ?? null,
        level: draft.level,
        indicators: [...draft.indicators],
        indicatorVersion: list?.version ?? null,
        channel: this.d.channel,
        assessNumber: 1,
        origin: draft.session.origin,
        flags,
        givenAt: new Date(this.d.time.now()).toISOString(),
        clock,
        seq,
      };
      if (this.signer?.keyText !== id.signingKey) this.signer = new RatingSigner(id.signingKey);
      // Signed before the insert, in the same synchronous call: the stored row is the signed rating.
      return this.signer.sign(unsigned);
    });
  }
}
