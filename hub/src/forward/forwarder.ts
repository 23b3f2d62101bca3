/**
 * Forwarding as one hub component: outbox, delivery worker, indicator store, default-rating job,
 * metrics. The hub builds it in its composition root, registers `hook` as an ingest hook
 * (Hub.onRatingStored) so the outbox is filled in the rating's own transaction, and calls
 * start()/stop(). Collaborators come in through `ForwarderDeps`; nothing is read from globals.
 */
import type { Logger } from 'pino';
import type { IndicatorList, Rating, RatingFlag } from '@hcp/protocol';
import type { ProvinceAdapter } from './adapter.js';
import { adapterFor } from './adapters/index.js';
import type { WorkingCalendar } from './calendar.js';
import { DefaultRatingJob } from './defaults.js';
import type { UnratedSessionSource } from './hub-sources.js';
import { IndicatorStore, type IndicatorSender } from './indicators.js';
import { profileFingerprint, recordTemplate, type CaseContext } from './mapping.js';
import { ForwardOutbox, enqueueForward, forwardSource, type AuditSink, type Db } from './outbox.js';
import type { ProvinceProfile } from './profile.js';
import { ForwardWorker, type ApplicantSource, type Clock, type FetchLike } from './worker.js';

/** The subset of hub/src/metrics.ts `Metrics` used here. */
export interface MetricsSink {
  counter(name: string, help: string): (labels?: Readonly<Record<string, string>>, by?: number) => void;
  gauge(name: string, help: string, read: () => number): void;
}

/** What the hub's ingest hands a hook (hub/src/inbox/ingest.ts StoredRating fits). */
export interface StoredRatingLike {
  readonly rating: Rating;
  readonly receivedAt: string;
  readonly givenAt: string;
  readonly flags: readonly RatingFlag[];
}

export interface ForwarderDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly profile: ProvinceProfile;
  readonly hallId: string;
  readonly audit: AuditSink;
  /** Decrypts a session's applicant at send time (hub: `sessions.applicant(id)`). */
  readonly applicants: ApplicantSource;
  /** Non-personal case data for a rating, read inside the ingest transaction. */
  readonly context: (rating: { sessionId: string | null; staffId: string | null }) => CaseContext;
  readonly calendar: WorkingCalendar;
  readonly sessions: UnratedSessionSource;
  readonly random?: () => number;
  readonly metrics?: MetricsSink;
  readonly fetch?: FetchLike;
  readonly extraAdapters?: readonly ProvinceAdapter[];
  readonly defaultEveryMs?: number;
  /** How often to fetch the indicator list again (ms, default 6 h). */
  readonly indicatorEveryMs?: number;
  /** A new indicator list version was stored: hand it to the devices (hub: device settings + indicators.set). */
  readonly onIndicators?: (list: IndicatorList) => void;
}

export class Forwarder {
  readonly adapter: ProvinceAdapter;
  readonly outbox: ForwardOutbox;
  readonly worker: ForwardWorker;
  readonly indicators: IndicatorStore;
  readonly defaults: DefaultRatingJob;
  private readonly fingerprint: string;
  private indicatorTimer: NodeJS.Timeout | null = null;

  constructor(readonly deps: ForwarderDeps) {
    this.fingerprint = profileFingerprint(deps.profile);
    this.adapter = adapterFor(deps.profile.adapter, deps.extraAdapters);
    this.outbox = new ForwardOutbox(deps.db);
    const outcomes = deps.metrics?.counter('hcp_forward_records_total', 'forward record outcomes by kind and code');
    this.worker = new ForwardWorker({
      outbox: this.outbox, profile: deps.profile, adapter: this.adapter, applicants: deps.applicants, clock: deps.clock,
      random: deps.random ?? Math.random, log: deps.log, ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(outcomes ? { onOutcome: (kind: string, code: string | null, records: number) => outcomes({ kind, code: code ?? '' }, records) } : {}),
    });
    this.indicators = new IndicatorStore(deps.db, deps.profile, this.adapter, deps.clock, deps.fetch, (list) => deps.onIndicators?.(list));
    this.defaults = new DefaultRatingJob({
      db: deps.db, outbox: this.outbox, sessions: deps.sessions, calendar: deps.calendar, profile: deps.profile, clock: deps.clock,
      log: deps.log, hallId: deps.hallId, onQueued: () => this.worker.wake(), ...(deps.defaultEveryMs ? { everyMs: deps.defaultEveryMs } : {}),
    });
  }

  /**
   * The ingest hook: runs INSIDE the transaction that stores the rating (no await), queues one
   * record per case number, and wakes the worker after the commit.
   */
  readonly hook = (tx: Db, stored: StoredRatingLike, after: (fn: () => void) => void): void => {
    const source = forwardSource({ ...stored.rating, givenAt: stored.givenAt, flags: [...stored.flags], receivedAt: stored.receivedAt });
    const context = this.deps.context(stored.rating);
    const premapped = { template: recordTemplate(source, context, this.deps.profile), fingerprint: this.fingerprint };
    const added = enqueueForward(tx, source, context, this.deps.clock.now(), premapped);
    if (added > 0) after(() => this.worker.wake());
  };

  /**
   * Clock-correction listener (Hub.onRatingsCorrected): runs inside the hub's correction
   * transaction; `correctedGivenAt` reads the corrected time the hub stored for a rating.
   */
  onCorrected(ratingIds: readonly string[], correctedGivenAt: (ratingId: string) => string | null): number {
    let n = 0;
    for (const id of ratingIds) {
      const at = correctedGivenAt(id);
      if (at && this.outbox.correctGivenAt(id, at, (src, ctx) => ({ template: recordTemplate(src, ctx, this.deps.profile), fingerprint: this.fingerprint }))) n++;
    }
    return n;
  }

  start(): void {
    const m = this.deps.metrics;
    if (m) {
      // One read serves the three gauges of a scrape (they are read in the same tick).
      let read: ReturnType<ForwardOutbox['backlog']> | null = null;
      const backlog = (): ReturnType<ForwardOutbox['backlog']> => {
        if (!read) {
          read = this.outbox.backlog(this.deps.clock.now());
          queueMicrotask(() => { read = null; });
        }
        return read;
      };
      m.gauge('hcp_forward_backlog', 'forward records not yet delivered (pending + in a request now)', () => backlog().backlog);
      m.gauge('hcp_forward_oldest_age_seconds', 'age of the oldest undelivered forward record', () => backlog().oldestAgeS);
      m.gauge('hcp_forward_dead_letters_open', 'dead letters waiting for an operator', () => backlog().deadOpen);
    }
    this.worker.start();
    this.defaults.start();
    if (this.deps.profile.indicators.kind !== 'none' && !this.indicatorTimer) {
      const refresh = (): void => {
        this.indicators.refresh().then(
          (r) => this.deps.log.info({ indicators: r }, 'forward: indicator list checked'),
          (err: unknown) => this.deps.log.warn({ err }, 'forward: indicator list not fetched; keeping the stored one'),
        );
      };
      refresh();
      this.indicatorTimer = setInterval(refresh, this.deps.indicatorEveryMs ?? 6 * 3_600_000);
      this.indicatorTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.indicatorTimer) clearInterval(this.indicatorTimer);
    this.indicatorTimer = null;
    this.defaults.stop();
    await this.worker.stop();
  }

  status(): {
    profile: { name: string; adapter: string; endpoint: string; batchSize: number; recordsPerSecond: number; defaultRating: ProvinceProfile['defaultRating'] };
    worker: ForwardWorker['status'];
    backlog: ReturnType<ForwardOutbox['stats']>;
    indicatorVersion: string | null;
  } {
    const p = this.deps.profile;
    return {
      profile: { name: p.name, adapter: p.adapter, endpoint: p.endpoint, batchSize: p.batchSize, recordsPerSecond: p.rateLimit.recordsPerSecond, defaultRating: p.defaultRating },
      worker: this.worker.status,
      backlog: this.outbox.stats(this.deps.clock.now()),
      indicatorVersion: this.indicators.current()?.version ?? null,
    };
  }

  /** Pushes the current indicator list to the given devices (`indicators.set`). */
  pushIndicators(sender: IndicatorSender, deviceIds: readonly string[]): Promise<{ sent: string[]; failed: string[] }> {
    return this.indicators.push(sender, this.deps.hallId, deviceIds);
  }
}
