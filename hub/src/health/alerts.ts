/**
 * Alerts: at most one open alert per (device, kind). Raised and cleared inside the transaction of
 * the observation that caused them; the event goes to the SSE stream after commit and to the
 * webhook outbox in the same transaction.
 */
import type { Db } from '../db/db.js';
import type { EventBus } from '../events/bus.js';
import type { WebhookOutbox } from '../events/webhook.js';

export const ALERT_KINDS = ['device-offline', 'backlog-growing', 'input-failed', 'disk-low', 'clock-untrusted'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertRow {
  readonly id: number;
  readonly deviceId: string;
  readonly kind: AlertKind;
  readonly state: 'open' | 'cleared';
  readonly raisedAt: string;
  readonly clearedAt: string | null;
  readonly detail: unknown;
}

type After = (fn: () => void) => void;

export class Alerts {
  constructor(private readonly db: Db, private readonly bus: EventBus, private readonly webhook: WebhookOutbox) {}

  raise(tx: Db, after: After, deviceId: string, kind: AlertKind, at: string, detail: unknown): boolean {
    const r = tx
      .prepare("INSERT INTO alerts (device_id, kind, state, raised_at, detail) VALUES (?, ?, 'open', ?, ?) ON CONFLICT DO NOTHING")
      .run(deviceId, kind, at, JSON.stringify(detail ?? null));
    if (r.changes === 0) return false;
    const data = { id: Number(r.lastInsertRowid), deviceId, kind, detail };
    this.webhook.enqueue(tx, { type: 'alert.raised', at, data });
    after(() => {
      this.bus.emit('alert.raised', at, data);
      this.webhook.poke();
    });
    return true;
  }

  clear(tx: Db, after: After, deviceId: string, kind: AlertKind, at: string): boolean {
    const row = tx.prepare("SELECT id FROM alerts WHERE device_id = ? AND kind = ? AND state = 'open'").get(deviceId, kind) as { id: number } | undefined;
    if (!row) return false;
    tx.prepare("UPDATE alerts SET state = 'cleared', cleared_at = ? WHERE id = ?").run(at, row.id);
    const data = { id: row.id, deviceId, kind };
    this.webhook.enqueue(tx, { type: 'alert.cleared', at, data });
    after(() => {
      this.bus.emit('alert.cleared', at, data);
      this.webhook.poke();
    });
    return true;
  }

  list(state: 'open' | 'all', limit = 200): AlertRow[] {
    const rows = this.db
      .prepare(`SELECT id, device_id AS deviceId, kind, state, raised_at AS raisedAt, cleared_at AS clearedAt, detail FROM alerts ${state === 'open' ? "WHERE state = 'open'" : ''} ORDER BY id DESC LIMIT ?`)
      .all(limit) as (Omit<AlertRow, 'detail'> & { detail: string | null })[];
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
  }
}
