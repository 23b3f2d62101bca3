/**
 * The provincial simulator's own SQLite file: accepted records (unique by projectNo +
 * assessNumber), rejections, request counters and indicator list versions. A batch is one
 * transaction, committed before the answer is sent, so the audit counts are exact.
 */
import Database from 'better-sqlite3';
import type { IndicatorList } from '@hcp/protocol';
import type { RecordCheck, RejectCode } from './record.js';

export type RecordStatus = 'accepted' | 'duplicate' | 'rejected';

export interface RecordResult {
  readonly index: number;
  readonly projectNo: string;
  readonly assessNumber: string;
  readonly status: RecordStatus;
  readonly code?: RejectCode;
  readonly reason?: string;
}

export interface StoredRecord {
  readonly projectNo: string;
  readonly assessNumber: string;
  readonly satisfaction: string;
  readonly record: Readonly<Record<string, string>>;
  readonly receivedAt: string;
  readonly duplicateAnswers: number;
}

export const REQUEST_COUNTERS = [
  'total', 'evaluations', 'indicators', 'authFailed', 'badRequest', 'failed', 'failedAfterStore',
  'droppedBeforeStore', 'droppedAfterStore', 'outage', 'delayed',
] as const;
export type RequestCounter = (typeof REQUEST_COUNTERS)[number];

export interface StoreCounts {
  readonly stored: number;
  readonly answers: { accepted: number; duplicate: number; rejected: number };
  readonly forcedDuplicateAnswers: number;
  readonly rejectedByCode: Record<string, number>;
  readonly duplicateKeys: number;
  readonly requests: Record<RequestCounter, number>;
}

/** Options for one batch: how to decide a forced duplicate answer and whether orphans are allowed. */
export interface BatchOptions {
  readonly nowIso: string;
  readonly allowOrphanFollowUp: boolean;
  /** Called once per freshly stored record; true → answer `duplicate` although it is new (fault). */
  readonly forceDuplicate: () => boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  project_no TEXT NOT NULL,
  assess_number TEXT NOT NULL,
  satisfaction TEXT NOT NULL,
  record TEXT NOT NULL,
  received_at TEXT NOT NULL,
  duplicate_answers INTEGER NOT NULL DEFAULT 0,
  UNIQUE (project_no, assess_number)
);
CREATE TABLE IF NOT EXISTS rejections (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  project_no TEXT NOT NULL,
  assess_number TEXT NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS indicator_versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL UNIQUE,
  list TEXT NOT NULL,
  at TEXT NOT NULL
);
`;

export class ProvincialStore {
  private db: Database.Database | null = null;
  private stmts: ReturnType<ProvincialStore['prepare']> | null = null;
  /**
   * Request counters not yet written. They ride along with the next batch transaction (or are
   * written by counts()/close()), so counting costs no extra fsync per request.
   */
  private pending = new Map<string, number>();

  constructor(private readonly file: string) {}

  open(): void {
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL keeps every commit through a kill -9 of this process (only an OS crash or power
    // loss can roll back the newest commits), which is all a fake province faces; FULL would make
    // the simulator, not the hub, the bottleneck of forwarding benchmarks (≈4× slower here).
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    this.db = db;
    this.stmts = this.prepare(db);
  }

  close(): void {
    if (this.stmts) this.flush();
    this.db?.close();
    this.db = null;
    this.stmts = null;
  }

  private prepare(db: Database.Database) {
    const insert = db.prepare(
      'INSERT INTO records (project_no, assess_number, satisfaction, record, received_at) VALUES (?, ?, ?, ?, ?)',
    );
    const exists = db.prepare('SELECT 1 FROM records WHERE project_no = ? AND assess_number = ?').pluck();
    const markDuplicate = db.prepare('UPDATE records SET duplicate_answers = duplicate_answers + 1 WHERE project_no = ? AND assess_number = ?');
    const reject = db.prepare('INSERT INTO rejections (project_no, assess_number, code, reason, at) VALUES (?, ?, ?, ?, ?)');
    const bump = db.prepare('INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = n + excluded.n');
    const counter = db.prepare('SELECT n FROM counters WHERE name = ?').pluck();
    const allCounters = db.prepare('SELECT name, n FROM counters');
    const storedCount = db.prepare('SELECT count(*) FROM records').pluck();
    const duplicateKeys = db.prepare('SELECT count(*) FROM records WHERE duplicate_answers > 0').pluck();
    const rejectedByCode = db.prepare('SELECT code, count(*) AS n FROM rejections GROUP BY code');
    const one = db.prepare('SELECT * FROM records WHERE project_no = ? AND assess_number = ?');
    const list = db.prepare('SELECT * FROM records ORDER BY seq LIMIT ? OFFSET ?');
    const listByProject = db.prepare('SELECT * FROM records WHERE project_no = ? ORDER BY seq LIMIT ? OFFSET ?');
    const latestIndicators = db.prepare('SELECT list FROM indicator_versions ORDER BY seq DESC LIMIT 1').pluck();
    const addIndicators = db.prepare('INSERT INTO indicator_versions (version, list, at) VALUES (?, ?, ?)');
    const hasVersion = db.prepare('SELECT 1 FROM indicator_versions WHERE version = ?').pluck();

    const bumpAll = db.transaction((rows: readonly (readonly [string, number])[]) => {
      for (const [name, n] of rows) bump.run(name, n);
    });

    const batch = db.transaction((checks: readonly RecordCheck[], opts: BatchOptions, counters: readonly (readonly [string, number])[]): RecordResult[] => {
      for (const [name, n] of counters) bump.run(name, n);
      const results: RecordResult[] = [];
      let accepted = 0;
      let duplicate = 0;
      let rejected = 0;
      let forced = 0;
      checks.forEach((c, index) => {
        if (!c.ok) {
          reject.run(c.projectNo, c.assessNumber, c.code, c.reason, opts.nowIso);
          results.push({ index, projectNo: c.projectNo, assessNumber: c.assessNumber, status: 'rejected', code: c.code, reason: c.reason });
          rejected++;
          return;
        }
        if (exists.get(c.projectNo, c.assessNumber) !== undefined) {
          markDuplicate.run(c.projectNo, c.assessNumber);
          results.push({ index, projectNo: c.projectNo, assessNumber: c.assessNumber, status: 'duplicate' });
          duplicate++;
          return;
        }
        if (c.assessNumber === '2' && !opts.allowOrphanFollowUp && exists.get(c.projectNo, '1') === undefined) {
          const reason = '追加评价须在首次评价之后';
          reject.run(c.projectNo, c.assessNumber, 'E_NO_FIRST_RATING', reason, opts.nowIso);
          results.push({ index, projectNo: c.projectNo, assessNumber: c.assessNumber, status: 'rejected', code: 'E_NO_FIRST_RATING', reason });
          rejected++;
          return;
        }
        insert.run(c.projectNo, c.assessNumber, c.record.satisfaction ?? '', JSON.stringify(c.record), opts.nowIso);
        if (opts.forceDuplicate()) {
          markDuplicate.run(c.projectNo, c.assessNumber);
          results.push({ index, projectNo: c.projectNo, assessNumber: c.assessNumber, status: 'duplicate' });
          duplicate++;
          forced++;
        } else {
          results.push({ index, projectNo: c.projectNo, assessNumber: c.assessNumber, status: 'accepted' });
          accepted++;
        }
      });
      if (accepted) bump.run('answer.accepted', accepted);
      if (duplicate) bump.run('answer.duplicate', duplicate);
      if (rejected) bump.run('answer.rejected', rejected);
      if (forced) bump.run('answer.forcedDuplicate', forced);
      return results;
    });

    const reset = db.transaction(() => {
      db.exec('DELETE FROM records; DELETE FROM rejections; DELETE FROM counters;');
    });

    return {
      batch, bumpAll, bump, counter, allCounters, storedCount, duplicateKeys, rejectedByCode, one, list, listByProject,
      latestIndicators, addIndicators, hasVersion, reset,
    };
  }

  private get s(): NonNullable<ProvincialStore['stmts']> {
    if (!this.stmts) throw new Error('provincial store is not open');
    return this.stmts;
  }

  /** Stores a batch in one transaction; answers one result per check, in order. */
  submit(checks: readonly RecordCheck[], opts: BatchOptions): RecordResult[] {
    const counters = this.takePending();
    try {
      return this.s.batch(checks, opts, counters);
    } catch (err) {
      this.restorePending(counters);
      throw err;
    }
  }

  count(name: RequestCounter, n = 1): void {
    const key = `req.${name}`;
    this.pending.set(key, (this.pending.get(key) ?? 0) + n);
  }

  private takePending(): [string, number][] {
    const rows = [...this.pending];
    this.pending.clear();
    return rows;
  }

  private restorePending(rows: readonly (readonly [string, number])[]): void {
    for (const [k, n] of rows) this.pending.set(k, (this.pending.get(k) ?? 0) + n);
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const rows = this.takePending();
    try {
      this.s.bumpAll(rows);
    } catch (err) {
      this.restorePending(rows);
      throw err;
    }
  }

  counts(): StoreCounts {
    this.flush();
    const c = new Map<string, number>();
    for (const row of this.s.allCounters.all() as { name: string; n: number }[]) c.set(row.name, row.n);
    const requests = Object.fromEntries(REQUEST_COUNTERS.map((k) => [k, c.get(`req.${k}`) ?? 0])) as Record<RequestCounter, number>;
    const rejectedByCode: Record<string, number> = {};
    for (const row of this.s.rejectedByCode.all() as { code: string; n: number }[]) rejectedByCode[row.code] = row.n;
    return {
      stored: this.s.storedCount.get() as number,
      answers: { accepted: c.get('answer.accepted') ?? 0, duplicate: c.get('answer.duplicate') ?? 0, rejected: c.get('answer.rejected') ?? 0 },
      forcedDuplicateAnswers: c.get('answer.forcedDuplicate') ?? 0,
      rejectedByCode,
      duplicateKeys: this.s.duplicateKeys.get() as number,
      requests,
    };
  }

  record(projectNo: string, assessNumber: string): StoredRecord | null {
    const row = this.s.one.get(projectNo, assessNumber) as Row | undefined;
    return row ? toStored(row) : null;
  }

  records(opts: { projectNo?: string | undefined; limit?: number; offset?: number } = {}): StoredRecord[] {
    const limit = Math.min(Math.max(opts.limit ?? 1000, 1), 100_000);
    const offset = Math.max(opts.offset ?? 0, 0);
    const rows = (opts.projectNo === undefined ? this.s.list.all(limit, offset) : this.s.listByProject.all(opts.projectNo, limit, offset)) as Row[];
    return rows.map(toStored);
  }

  /** The newest indicator list, or null before any was published. */
  indicators(): IndicatorList | null {
    const text = this.s.latestIndicators.get() as string | undefined;
    return text === undefined ? null : (JSON.parse(text) as IndicatorList);
  }

  /** Publishes a list; false when that version exists already. */
  publishIndicators(list: IndicatorList, nowIso: string): boolean {
    if (this.s.hasVersion.get(list.version) !== undefined) return false;
    this.s.addIndicators.run(list.version, JSON.stringify(list), nowIso);
    return true;
  }

  reset(): void {
    this.pending.clear();
    this.s.reset();
  }
}

interface Row {
  project_no: string;
  assess_number: string;
  satisfaction: string;
  record: string;
  received_at: string;
  duplicate_answers: number;
}

function toStored(r: Row): StoredRecord {
  return {
    projectNo: r.project_no,
    assessNumber: r.assess_number,
    satisfaction: r.satisfaction,
    record: JSON.parse(r.record) as Record<string, string>,
    receivedAt: r.received_at,
    duplicateAnswers: r.duplicate_answers,
  };
}
