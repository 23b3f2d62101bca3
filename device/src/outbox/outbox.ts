/**
 * The outbox: every rating the citizen saw accepted, in SQLite, until the hub's ack names it.
 *
 * Obligations: `commit` returns only after the row is durable (WAL + synchronous=FULL); rows leave
 * only through `applyAck` with result stored/duplicate; rejected rows move to `rejected` with their
 * code, never silently dropped. A corrupt file found at start is moved aside and reported.
 */
import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { HcpError, type AckResult, type Rating } from '@hcp/protocol';
import type { EncodedRating } from '../session/sign.js';

export interface OutboxRow {
  readonly seq: number;
  readonly id: string;
  readonly body: string;
}

export interface OutboxOptions {
  /** Cap on the database size in bytes (SQLite max_page_count); null for none. */
  readonly maxBytes: number | null;
}

export interface OpenReport {
  /** Where a corrupt outbox was moved, or null when the file was healthy or new. */
  readonly corruptMovedTo: string | null;
  readonly detail: string | null;
}

type Stmt = Database.Statement;
interface Prepared {
  insert: Stmt;
  pendingAfter: Stmt;
  byId: Stmt;
  del: Stmt;
  reject: Stmt;
  count: Stmt;
  oldest: Stmt;
  rejectedCount: Stmt;
  getMeta: Stmt;
  setMeta: Stmt;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, code TEXT, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
`;

function sqliteCode(err: unknown): string | null {
  return err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string' ? (err as { code: string }).code : null;
}

export class Outbox {
  private db: Database.Database | null = null;
  private st: Prepared | null = null;
  /** Highest sequence number ever committed; durable as max(outbox, rejected, meta 'seq'). */
  private lastSeq = 0;

  constructor(
    readonly file: string,
    private readonly opts: OutboxOptions,
    private readonly nowMs: () => number,
  ) {}

  start(): OpenReport {
    let report: OpenReport = { corruptMovedTo: null, detail: null };
    try {
      this.open();
    } catch (err) {
      const code = sqliteCode(err);
      if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT' && !(err instanceof HcpError && err.code === 'HCP_OUTBOX_CORRUPT')) throw err;
      this.db?.close();
      this.db = null;
      const moved = `${this.file}.corrupt-${this.nowMs()}`;
      renameSync(this.file, moved);
      for (const ext of ['-wal', '-shm']) if (existsSync(this.file + ext)) renameSync(this.file + ext, moved + ext);
      report = { corruptMovedTo: moved, detail: (err as Error).message };
      this.open();
    }
    return report;
  }

  private open(): void {
    const db = new Database(this.file);
    this.db = db;
    db.pragma('journal_mode = WAL');
    // A commit here is a promise to a citizen: FULL survives power loss, NORMAL may not.
    db.pragma('synchronous = FULL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new HcpError('HCP_OUTBOX_CORRUPT', { quickCheck: String(check) }, { message: `quick_check: ${String(check)}` });
    db.exec(SCHEMA);
    if (this.opts.maxBytes !== null) {
      const page = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(16, Math.floor(this.opts.maxBytes / page))}`);
    }
    this.st = {
      insert: db.prepare('INSERT INTO outbox (seq, id, body, created_ms) VALUES (?, ?, ?, ?)'),
      pendingAfter: db.prepare('SELECT seq, id, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      byId: db.prepare('SELECT seq, id, body FROM outbox WHERE id = ?'),
      del: db.prepare('DELETE FROM outbox WHERE id = ?'),
      reject: db.prepare('INSERT OR IGNORE INTO rejected (seq, id, body, code, at_ms) VALUES (?, ?, ?, ?, ?)'),
      count: db.prepare('SELECT count(*) FROM outbox').pluck(),
      oldest: db.prepare('SELECT min(created_ms) FROM outbox').pluck(),
      rejectedCount: db.prepare('SELECT count(*) FROM rejected').pluck(),
      getMeta: db.prepare('SELECT v FROM meta WHERE k = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v'),
    };
    this.lastSeq = db
      .prepare("SELECT max(coalesce((SELECT max(seq) FROM outbox), 0), coalesce((SELECT max(seq) FROM rejected), 0), coalesce((SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'seq'), 0))")
      .pluck()
      .get() as number;
  }

  stop(): void {
    this.db?.close();
    this.db = null;
    this.st = null;
  }

  private s(): Prepared {
    if (!this.st) throw new HcpError('HCP_INTERNAL', { what: 'outbox not started' });
    return this.st;
  }

  /**
   * Assigns the next sequence number, builds (and signs) the rating with it, and commits the row.
   * `build` may return the JSON text it already made (see session/sign.ts) so the rating is not
   * encoded twice. Returns after the commit is durable. Disk full → HCP_OUTBOX_DISK_FULL, nothing written.
   */
  commit(build: (seq: number) => Rating | EncodedRating): Rating {
    const st = this.s();
    // One INSERT per commit: the sequence lives in the rows themselves; the meta floor is written
    // only when acks delete rows (see applyAck), so it never goes backwards.
    const seq = this.lastSeq + 1;
    const built = build(seq);
    const [rating, json] = 'json' in built ? [built.rating, built.json] : [built, JSON.stringify(built)];
    try {
      st.insert.run(seq, rating.id, json, this.nowMs());
      this.lastSeq = seq;
      return rating;
    } catch (err) {
      const code = sqliteCode(err);
      if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE') throw new HcpError('HCP_OUTBOX_DISK_FULL', { sqlite: code }, { cause: err });
      throw err;
    }
  }

  /** Unacked rows after `seq`, oldest first. */
  pendingAfter(seq: number, limit: number): OutboxRow[] {
    return this.s().pendingAfter.all(seq, limit) as OutboxRow[];
  }

  get(id: string): OutboxRow | null {
    return (this.s().byId.get(id) as OutboxRow | undefined) ?? null;
  }

  /** Applies the hub's ack in one transaction; returns how many rows left and how many were set aside. */
  applyAck(items: readonly { id: string; result: AckResult; code?: string }[]): { removed: string[]; rejected: number } {
    const st = this.s();
    const at = this.nowMs();
    const tx = this.db!.transaction(() => {
      const removed: string[] = [];
      let rejected = 0;
      for (const it of items) {
        if (it.result === 'rejected') {
          const row = st.byId.get(it.id) as OutboxRow | undefined;
          if (!row) continue;
          st.reject.run(row.seq, row.id, row.body, it.code ?? null, at);
          st.del.run(it.id);
          rejected++;
        } else if (st.del.run(it.id).changes > 0) {
          removed.push(it.id);
        }
      }
      if (removed.length + rejected > 0) {
        st.setMeta.run('lastAckMs', String(at));
        st.setMeta.run('seq', String(this.lastSeq));
      }
      return { removed, rejected };
    });
    // Deleting acked rows need not wait for the disk: if power fails first, the rows come back and
    // are sent again, and the hub acks them as duplicates. The next FULL commit flushes the WAL
    // (sequential), so no commit of a rating is ever weakened by this.
    this.db!.pragma('synchronous = NORMAL');
    try {
      return tx();
    } finally {
      this.db!.pragma('synchronous = FULL');
    }
  }

  backlog(): number {
    return this.s().count.get() as number;
  }

  oldestCreatedMs(): number | null {
    return (this.s().oldest.get() as number | null) ?? null;
  }

  rejectedCount(): number {
    return this.s().rejectedCount.get() as number;
  }

  lastAckMs(): number | null {
    const v = this.s().getMeta.get('lastAckMs') as string | undefined;
    return v === undefined ? null : Number(v);
  }

  getMeta(k: string): string | null {
    return (this.s().getMeta.get(k) as string | undefined) ?? null;
  }

  setMeta(k: string, v: string): void {
    this.s().setMeta.run(k, v);
  }
}
