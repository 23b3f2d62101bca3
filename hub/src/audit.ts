/** The audit log: who did what, when. Written inside the transaction of the change it records. */
import type { Db, Stmt } from './db/db.js';
import type { Clock } from './clock.js';

export interface Actor {
  /** e.g. `user:alice`, `token:erp-1`, `device:dev-0001`, `cli`, `hub` */
  readonly name: string;
}

export class AuditLog {
  private insert?: Stmt;

  constructor(private readonly db: Db, private readonly clock: Clock) {}

  record(actor: Actor | string, action: string, target: string | null, detail?: unknown): void {
    this.insert ??= this.db.prepare('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)');
    this.insert.run(new Date(this.clock.now()).toISOString(), typeof actor === 'string' ? actor : actor.name, action, target, detail === undefined ? null : JSON.stringify(detail));
  }

  list(limit: number, beforeId?: number): { id: number; at: string; actor: string; action: string; target: string | null; detail: unknown }[] {
    const rows = this.db
      .prepare('SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(beforeId ?? Number.MAX_SAFE_INTEGER, limit) as { id: number; at: string; actor: string; action: string; target: string | null; detail: string | null }[];
    return rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown) }));
  }
}
