/**
 * The delivery worker: claims due outbox rows in batches, maps them (decrypting applicant data
 * only now, only in memory), sends them through the profile's adapter, and records each record's
 * outcome. `profile.concurrency` lanes each send one batch at a time (disjoint batches, so one
 * lane prepares or records a batch while the province works on another), paced together by the
 * profile's rate limit; retries with exponential backoff + jitter, per record and, while the
 * province fails as a whole, for every lane; `duplicate` counts as delivered; permanent rejections
 * become dead letters. start()/stop(); the clock, randomness, fetch and sleep are injected.
 */
import type { Logger } from 'pino';
import { isHcpError } from '@hcp/protocol';
import type { HttpAnswer, ProvinceAdapter, RecordKey, RecordOutcome } from './adapter.js';
import { backoffDelay } from './backoff.js';
import { nodeHttpTransport } from './http.js';
import { mapRecords, personalFields, profileFingerprint, recordJson, type ApplicantData } from './mapping.js';
import { toRowResult, type ForwardOutbox, type OutboxRow, type RowResult } from './outbox.js';
import type { ProvinceProfile } from './profile.js';

export interface Clock {
  now(): number;
}

/**
 * Personal data for a row, decrypted at send time by the hub (session applicant). Returns null
 * when the session has none. Throwing means "not now" (e.g. key unavailable): the row is retried.
 */
export type ApplicantSource = (sessionId: string) => ApplicantData | null;

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

export interface WorkerDeps {
  readonly outbox: ForwardOutbox;
  readonly profile: ProvinceProfile;
  readonly adapter: ProvinceAdapter;
  readonly applicants: ApplicantSource;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly fetch?: FetchLike;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called once per request for each distinct outcome, with how many records had it (metrics). */
  readonly onOutcome?: (kind: RowResult['kind'], code: string | null, records: number) => void;
}

/** Worker state as a union, not booleans. */
export type WorkerState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'idle'; readonly since: number }
  | { readonly kind: 'sending'; readonly since: number; readonly records: number }
  | { readonly kind: 'backing-off'; readonly since: number; readonly reason: string };

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(() => { signal.removeEventListener('abort', done); resolve(); }, ms);
  const done = (): void => { clearTimeout(t); resolve(); };
  signal.addEventListener('abort', done, { once: true });
});

/**
 * A record on its way. Only small values: `json` is dropped once the request body is built, so
 * the records' text is garbage while the lane waits for the province (at 500 records per batch,
 * keeping it made every young-generation GC copy megabytes; an isolated resend reads the row again).
 */
interface Sendable {
  readonly seq: number;
  readonly attempts: number;
  readonly key: RecordKey;
  json: string | null;
}

export class ForwardWorker {
  private readonly fingerprint: string;
  private transport: ReturnType<typeof nodeHttpTransport> | null = null;
  private state: WorkerState = { kind: 'stopped' };
  private loop: Promise<void> | null = null;
  private stopping = new AbortController();
  private readonly sleepers = new Set<AbortController>();
  private nextSendMs = 0;
  /**
   * The province as a whole is failing (no answer, 5xx, refused credentials): requests in a row
   * that came back with every record retryable, and when the next request may go. Records carry
   * their own backoff too, but without this hold the lanes would walk the whole backlog during an
   * outage, one failing request per batch, rewriting every row's due time.
   */
  private failing = { streak: 0, holdUntil: 0 };
  private lastError: { at: number; code: string; reason: string } | null = null;
  private sent = 0;

  constructor(private readonly deps: WorkerDeps) {
    this.fingerprint = profileFingerprint(deps.profile);
  }

  get status(): { state: WorkerState; lastError: { at: number; code: string; reason: string } | null; requests: number } {
    return { state: this.state, lastError: this.lastError, requests: this.sent };
  }

  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    const recovered = this.deps.outbox.recoverInFlight(this.deps.clock.now());
    if (recovered) this.deps.log.info({ recovered }, 'forward: in-flight records from a previous run will be resent');
    this.state = { kind: 'idle', since: this.deps.clock.now() };
    // `concurrency` lanes claim disjoint batches, so preparing and recording one batch overlaps
    // with the province working on another.
    this.loop = Promise.all(Array.from({ length: this.deps.profile.concurrency }, () => this.lane())).then(() => undefined);
  }

  /** Finishes the requests under way (their answers are recorded), then stops. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping.abort();
    this.wake();
    await this.loop;
    this.loop = null;
    this.transport?.close();
    this.transport = null;
    this.state = { kind: 'stopped' };
  }

  /** New records were committed: look now instead of at the next poll. */
  wake(): void {
    for (const c of this.sleepers) c.abort();
  }

  private async pause(ms: number): Promise<void> {
    const c = new AbortController();
    this.sleepers.add(c);
    try {
      await (this.deps.sleep ?? defaultSleep)(ms, AbortSignal.any([this.stopping.signal, c.signal]));
    } finally {
      this.sleepers.delete(c);
    }
  }

  private async lane(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const held = this.failing.holdUntil - this.deps.clock.now();
      if (held > 0) {
        // wake() (new records) does not shorten the hold: go round and wait for what is left
        await this.pause(held);
        continue;
      }
      let n = 0;
      const before = this.deps.clock.now();
      try {
        n = await this.runOnce();
      } catch (err) {
        // runOnce records outcomes itself; reaching here is a bug or a database error: log, pause, go on.
        this.deps.log.error({ err }, 'forward: delivery round failed');
      }
      if (this.stopping.signal.aborted) break;
      if (n === 0) {
        // Nothing claimable: sleep until the next row not leased to another lane falls due. A row
        // that was due before the claim and still not claimed is a 追加 waiting for its first
        // rating: look again at the poll interval rather than spin.
        const now = this.deps.clock.now();
        const due = this.deps.outbox.nextDueMs();
        const poll = this.deps.profile.pollIntervalMs;
        await this.pause(due === null || due <= before ? poll : Math.max(1, Math.min(poll, due - now)));
      }
    }
  }

  /** One round: claim a batch, send it, record the outcomes. Returns the records handled. */
  async runOnce(): Promise<number> {
    const { outbox, clock } = this.deps;
    const batch = this.claim();
    if (batch === null) {
      if (this.state.kind !== 'idle') this.state = { kind: 'idle', since: clock.now() };
      return 0;
    }
    const { seqs, sendable, results } = batch;
    let recorded = false;
    try {
      await this.deliver(sendable, results);
      recorded = true;
    } finally {
      // A failure before the outcomes were written (a bug, a database error): the rows stay open
      // and fall due again instead of staying leased until the next start.
      if (!recorded) outbox.release(seqs);
    }
    return seqs.length;
  }

  /**
   * Claims a batch and makes each record's text; a record that cannot be made is dead-lettered (or
   * retried) in `results`. Synchronous, so the claimed rows (with their template text) never sit in
   * the async frame of runOnce while it waits for the province.
   */
  private claim(): { seqs: number[]; sendable: Sendable[]; results: RowResult[] } | null {
    const { outbox, profile, clock } = this.deps;
    const rows = outbox.claim(profile.batchSize, clock.now());
    if (rows.length === 0) return null;
    const sendable: Sendable[] = [];
    const results: RowResult[] = [];
    for (const row of rows) {
      const s = this.sendable(row);
      if ('json' in s) sendable.push(s);
      else results.push(s);
    }
    return { seqs: rows.map((r) => r.seq), sendable, results };
  }

  private sendable(row: OutboxRow): Sendable | RowResult {
    try {
      const applicant = row.sessionId ? this.deps.applicants(row.sessionId) : null;
      return { seq: row.seq, attempts: row.attempts, json: this.recordJson(row, applicant), key: { projectNo: row.projectNo, assessNumber: String(row.assessNumber) } };
    } catch (err) {
      // A record that can never be accepted is dead-lettered without being sent; anything else waits.
      const code = isHcpError(err) ? err.code : 'HCP_INTERNAL';
      const reason = err instanceof Error ? err.message : String(err);
      return isHcpError(err) && !err.retryable
        ? { seq: row.seq, kind: 'dead', code, reason }
        : this.toResult(row.seq, row.attempts, { kind: 'retryable', code, reason });
    }
  }

  private async deliver(sendable: readonly Sendable[], results: RowResult[]): Promise<void> {
    const { outbox, clock } = this.deps;
    if (sendable.length) {
      const outcomes = await this.send(sendable);
      this.noteProvince(outcomes);
      const isolate: Sendable[] = [];
      sendable.forEach((s, i) => {
        const o = outcomes[i]!;
        if (o.kind === 'retryable' && o.isolate && sendable.length > 1) isolate.push(s);
        else results.push(this.toResult(s.seq, s.attempts, o));
      });
      // The batch was refused as a whole: send its records one by one so only the bad one dies.
      for (const s of isolate) {
        if (this.stopping.signal.aborted) {
          results.push(this.toResult(s.seq, s.attempts, { kind: 'retryable', code: 'HCP_UNAVAILABLE', reason: 'stopped before isolating' }));
          continue;
        }
        // the text was dropped after the batch request was built: make it again from the row
        const row = outbox.row(s.seq);
        const again = row ? this.sendable(row) : null;
        if (again === null || !('json' in again)) {
          results.push(again ?? this.toResult(s.seq, s.attempts, { kind: 'retryable', code: 'HCP_INTERNAL', reason: 'outbox row vanished while isolating' }));
          continue;
        }
        const [o] = await this.send([again]);
        results.push(this.toResult(s.seq, s.attempts, o!));
      }
    }
    outbox.complete(results, clock.now());
    if (this.deps.onOutcome) {
      const tally = new Map<string, { kind: RowResult['kind']; code: string; n: number }>();
      for (const r of results) {
        const code = r.kind === 'delivered' ? r.result : r.code;
        const k = `${r.kind}\u0000${code}`;
        const t = tally.get(k);
        if (t) t.n++;
        else tally.set(k, { kind: r.kind, code, n: 1 });
      }
      for (const t of tally.values()) this.deps.onOutcome(t.kind, t.code, t.n);
    }
    const retry = results.find((r) => r.kind === 'retry');
    this.state = retry && retry.kind === 'retry'
      ? { kind: 'backing-off', since: clock.now(), reason: retry.reason }
      : { kind: 'idle', since: clock.now() };
  }

  /**
   * The record's JSON text. Fast path: the template made at enqueue time (same profile, no operator
   * corrections) plus the applicant's fields; otherwise map from source + context now.
   */
  private recordJson(row: OutboxRow, applicant: ApplicantData | null): string {
    const { profile, adapter } = this.deps;
    if (adapter.requestFromJson && row.template && row.templateProfile === this.fingerprint && Object.keys(row.overrides).length === 0) {
      return recordJson(row.template, row.projectNo, applicant ? personalFields(applicant, profile) : null);
    }
    const [record] = mapRecords(row.source, row.context, applicant, profile, [row.projectNo], row.overrides);
    return JSON.stringify(adapter.map(record!, { profile, nowMs: this.deps.clock.now() }));
  }

  /** Starts or ends the hold on every lane after a request (see `failing`). */
  private noteProvince(outcomes: readonly RecordOutcome[]): void {
    if (outcomes.length > 0 && outcomes.every((o) => o.kind === 'retryable' && !o.isolate)) {
      const { profile, clock, random } = this.deps;
      this.failing.streak++;
      this.failing.holdUntil = clock.now() + backoffDelay(this.failing.streak, profile.retry, random);
    } else {
      this.failing = { streak: 0, holdUntil: 0 };
    }
  }

  private toResult(seq: number, attempts: number, o: RecordOutcome): RowResult {
    const { profile, clock, random } = this.deps;
    if (o.kind === 'retryable' || o.kind === 'rejected') this.lastError = { at: clock.now(), code: o.code, reason: o.reason };
    return toRowResult(seq, o, attempts, profile.retry.maxAttempts, (attempt) => clock.now() + backoffDelay(attempt, profile.retry, random));
  }

  /** One HTTP request for these records; transport failures make every record retryable. */
  private async send(batch: readonly Sendable[]): Promise<RecordOutcome[]> {
    const records = batch.map((b) => b.key);
    const { adapter, profile, clock } = this.deps;
    // Pace by the rate limit: this batch may start no earlier than the previous one allowed.
    const now = clock.now();
    const startAt = Math.max(now, this.nextSendMs);
    this.nextSendMs = startAt + (records.length * 1000) / profile.rateLimit.recordsPerSecond;
    if (startAt > now) await (this.deps.sleep ?? defaultSleep)(startAt - now, this.stopping.signal);
    const ctx = { profile, nowMs: clock.now() };
    const jsons = batch.map((b) => b.json ?? '');
    // adapters without the JSON fast path get objects (already passed through their map)
    const req = adapter.requestFromJson
      ? adapter.requestFromJson(jsons, ctx)
      : adapter.sign(adapter.envelope(jsons.map((j) => JSON.parse(j) as Record<string, string>), ctx), ctx);
    jsons.length = 0;
    for (const b of batch) b.json = null;
    this.state = { kind: 'sending', since: ctx.nowMs, records: records.length };
    this.sent++;
    let answer: HttpAnswer;
    try {
      const f: FetchLike = this.deps.fetch ?? (this.transport ??= nodeHttpTransport());
      const res = await f(req.url, { method: req.method, headers: { ...req.headers }, body: req.body, signal: AbortSignal.timeout(profile.retry.timeoutMs) });
      answer = { status: res.status, body: await res.text() };
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
      this.deps.log.warn({ reason, records: records.length }, 'forward: province unreachable; will retry');
      return records.map(() => ({ kind: 'retryable', code: 'HCP_PROVINCE_UNAVAILABLE', reason }));
    }
    return adapter.parse(answer, records, ctx);
  }
}
