/**
 * BusinessSimulator: a window business / queue system. It opens rating sessions on the hub's
 * windows at a given rate (`POST /api/sessions`, body `SessionOpenRequest`), single cases and
 * batch business (one rating for several case numbers), with staff, service items and fake
 * applicants. Randomness and time are injected, so a seed replays a run.
 */
import { assertValid, SessionOpenRequest, type ServiceItem } from '@hcp/protocol';
import type { Logger } from 'pino';
import { DEFAULT_ITEMS } from './catalog.js';
import { HubClient, type FetchFn, type OpenResult, type WindowTarget } from './hub-client.js';
import { fakeApplicant } from './people.js';
import { chance, pick, randInt, seededRandom, type Random } from './random.js';

export interface BusinessOptions {
  readonly hubUrl: string;
  /** Hub API token with the business role; sent as `Authorization: Bearer`. */
  readonly token: string;
  /** Token allowed to read windows and staff (operator, auditor, …); default `token`. */
  readonly listToken?: string;
  /** Sessions opened per second (> 0). */
  readonly ratePerSec: number;
  /** Windows to use; default: `GET /api/windows` on the hub. */
  readonly windows?: readonly (WindowTarget | string)[];
  /** Staff ids for windows without an assigned staff member; default: `GET /api/staff`. */
  readonly staff?: readonly string[];
  readonly items?: readonly ServiceItem[];
  /** Share of sessions that are batch business (2..maxBatchCases cases). Default 0.2. */
  readonly batchShare?: number;
  readonly maxBatchCases?: number;
  /** Share of sessions that carry applicant data. Default 1. */
  readonly applicantShare?: number;
  /** Share of applicants that are companies. Default 0.15. */
  readonly companyShare?: number;
  /** Stop after this many sessions (default: run until stop()). */
  readonly limit?: number;
  /**
   * Least time between two sessions on the same window (one citizen at a time, as at a real
   * counter), in ms. The rate timer skips windows still inside it; default 0 (no gap).
   */
  readonly windowGapMs?: number;
  /** Most requests waiting for the hub at once. Default 16. */
  readonly maxInFlight?: number;
  /** First six digits of generated case numbers. Default 330100. */
  readonly areaCode?: string;
  readonly random?: Random;
  /** Epoch ms; default Date.now. */
  readonly clock?: () => number;
  readonly fetch?: FetchFn;
  readonly logger?: Logger;
}

export interface BusinessStats {
  readonly attempted: number;
  readonly opened: number;
  readonly rejected: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Case numbers in opened sessions. */
  readonly cases: number;
  readonly batchSessions: number;
  /** Rejections and failures by hub error code (or HTTP_<status> / network error code). */
  readonly byCode: Readonly<Record<string, number>>;
}

type RunState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly startedMs: number; readonly timer: NodeJS.Timeout }
  | { readonly kind: 'stopped' };

export class BusinessSimulator {
  private state: RunState = { kind: 'idle' };
  private targets: WindowTarget[] = [];
  private staffIds: string[] = [];
  private seq = 0;
  private runTag = '';
  private readonly inFlight = new Set<Promise<OpenResult>>();
  private counts = { attempted: 0, opened: 0, rejected: 0, failed: 0, cases: 0, batchSessions: 0 };
  private readonly byCode: Record<string, number> = {};
  private readonly lastOpened = new Map<string, number>();
  private readonly random: Random;
  private readonly clock: () => number;
  private readonly client: HubClient;
  private finishedResolve: (() => void) | null = null;
  private readonly finishedPromise: Promise<void>;

  constructor(private readonly opts: BusinessOptions) {
    this.random = opts.random ?? seededRandom(Date.now() >>> 0);
    this.clock = opts.clock ?? Date.now;
    this.client = new HubClient(opts.hubUrl, opts.token, opts.fetch, opts.listToken ?? opts.token);
    this.finishedPromise = new Promise((resolve) => {
      this.finishedResolve = resolve;
    });
  }

  /** Resolves the windows and staff (flags first, else the hub); call before openOne(). */
  async prepare(): Promise<void> {
    if (!(this.opts.ratePerSec > 0)) throw new RangeError('ratePerSec must be > 0');
    this.runTag = Array.from({ length: 4 }, () => '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'[randInt(this.random, 0, 33)]).join('');
    this.targets = this.opts.windows
      ? this.opts.windows.map((w) => (typeof w === 'string' ? { id: w, staffId: null } : w))
      : await this.client.windows();
    if (this.targets.length === 0) throw new RangeError('no windows to open sessions on (hub has none, or none with a device)');
    const needStaff = this.targets.some((w) => w.staffId === null);
    this.staffIds = this.opts.staff ? [...this.opts.staff] : needStaff ? await this.client.staff() : [];
    if (needStaff && this.staffIds.length === 0) throw new RangeError('windows without assigned staff, and no staff ids (pass --staff)');
    this.opts.logger?.info({ windows: this.targets.length, staff: this.staffIds.length, runTag: this.runTag }, 'business simulator ready');
  }

  /** Starts opening sessions at the configured rate. */
  async start(): Promise<void> {
    if (this.state.kind !== 'idle') throw new Error('business simulator already started');
    await this.prepare();
    const tickMs = Math.min(100, Math.max(10, Math.floor(1000 / this.opts.ratePerSec)));
    const timer = setInterval(() => this.tick(), tickMs);
    this.state = { kind: 'running', startedMs: this.clock(), timer };
  }

  /** Stops opening sessions and waits for the requests already sent. */
  async stop(): Promise<void> {
    if (this.state.kind === 'running') clearInterval(this.state.timer);
    this.state = { kind: 'stopped' };
    await Promise.allSettled([...this.inFlight]);
    this.finishedResolve?.();
  }

  /** Resolves when `limit` sessions have been answered (or stop() was called). */
  finished(): Promise<void> {
    return this.finishedPromise;
  }

  stats(): BusinessStats {
    return { ...this.counts, inFlight: this.inFlight.size, byCode: { ...this.byCode } };
  }

  private tick(): void {
    if (this.state.kind !== 'running') return;
    const limit = this.opts.limit ?? Infinity;
    const due = Math.floor(((this.clock() - this.state.startedMs) / 1000) * this.opts.ratePerSec) + 1;
    const room = (this.opts.maxInFlight ?? 16) - this.inFlight.size;
    const n = Math.min(due - this.counts.attempted, room, limit - this.counts.attempted);
    for (let i = 0; i < n && this.freeWindows().length > 0; i++) void this.openOne();
    if (this.counts.attempted >= limit && this.inFlight.size === 0) void this.stop();
  }

  /** Windows whose last session is at least `windowGapMs` ago. */
  private freeWindows(): WindowTarget[] {
    const gap = this.opts.windowGapMs ?? 0;
    if (gap <= 0) return this.targets;
    const now = this.clock();
    return this.targets.filter((w) => now - (this.lastOpened.get(w.id) ?? -Infinity) >= gap);
  }

  /** Builds the next session request (validated against SessionOpenRequest), on a free window if any. */
  nextRequest(): SessionOpenRequest {
    const free = this.freeWindows();
    const w = pick(this.random, free.length > 0 ? free : this.targets);
    this.lastOpened.set(w.id, this.clock());
    const batch = chance(this.random, this.opts.batchShare ?? 0.2);
    const n = batch ? randInt(this.random, 2, Math.max(2, this.opts.maxBatchCases ?? 5)) : 1;
    const caseNumbers = Array.from({ length: n }, () => this.caseNumber());
    const status = this.random();
    const req: SessionOpenRequest = {
      windowId: w.id,
      caseNumbers,
      item: pick(this.random, this.opts.items ?? DEFAULT_ITEMS),
      staffId: w.staffId ?? pick(this.random, this.staffIds),
      servedAt: new Date(this.clock()).toISOString(),
      caseStatus: status < 0.8 ? 'completed' : status < 0.95 ? 'in-progress' : 'pending',
      promiseKind: chance(this.random, 0.7) ? 'immediate' : 'promised',
      externalRef: `sim-${this.runTag}-${this.seq}`,
    };
    if (chance(this.random, this.opts.applicantShare ?? 1)) req.applicant = fakeApplicant(this.random, this.opts.companyShare ?? 0.15);
    return assertValid(SessionOpenRequest, req, 'SessionOpenRequest');
  }

  /** 办件编号: area code + date (China time) + run tag + sequence, 24 characters. */
  private caseNumber(): string {
    this.seq++;
    const d = new Date(this.clock() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    return `${this.opts.areaCode ?? '330100'}${d}${this.runTag}${String(this.seq).padStart(6, '0')}`;
  }

  /** Opens one session on the hub and records the outcome. */
  openOne(): Promise<OpenResult> {
    const req = this.nextRequest();
    this.counts.attempted++;
    const p = this.client.openSession(req).then((r) => {
      if (r.kind === 'opened') {
        this.counts.opened++;
        this.counts.cases += req.caseNumbers.length;
        if (req.caseNumbers.length > 1) this.counts.batchSessions++;
      } else {
        this.counts[r.kind]++;
        this.byCode[r.code] = (this.byCode[r.code] ?? 0) + 1;
        this.opts.logger?.warn({ status: r.status, code: r.code, windowId: req.windowId }, 'session not opened');
      }
      return r;
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }
}
