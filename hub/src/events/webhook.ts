/**
 * Webhook delivery from the `webhook_outbox` table. Events are written in the same transaction as
 * the change they report, so a crash can delay a delivery but never lose it. Delivery is
 * at-least-once (receivers dedupe by `id`); failures back off exponentially up to 10 minutes and
 * a row is marked dead after `maxAttempts`.
 */
import type { Logger } from 'pino';
import type { Db, Stmt } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';

export interface WebhookEvent {
  readonly type: string;
  readonly at: string;
  readonly data: unknown;
}

export interface WebhookOptions {
  readonly url: string | undefined;
  readonly maxAttempts?: number;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

export class WebhookOutbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private insertStmt?: Stmt;
  private readonly delivered: (l?: Record<string, string>) => void;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: WebhookOptions,
  ) {
    this.delivered = metrics.counter('hcp_hub_webhook_deliveries_total', 'webhook delivery attempts by result');
  }

  /** Call inside the transaction of the change. No-op when no webhook URL is configured. */
  enqueue(tx: Db, e: WebhookEvent): void {
    if (!this.opts.url) return;
    this.insertStmt ??= tx.prepare('INSERT INTO webhook_outbox (event, next_at) VALUES (?, ?)');
    this.insertStmt.run(JSON.stringify(e), new Date(this.clock.now()).toISOString());
  }

  start(): void {
    if (!this.opts.url) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Nudge after a commit that enqueued something. */
  poke(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Delivers every due row once; returns how many were delivered. */
  async deliverDue(): Promise<number> {
    const url = this.opts.url;
    if (!url) return 0;
    const now = new Date(this.clock.now()).toISOString();
    const rows = this.db
      .prepare('SELECT id, event, attempts FROM webhook_outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_at <= ? ORDER BY id LIMIT 50')
      .all(now) as { id: number; event: string; attempts: number }[];
    let ok = 0;
    for (const r of rows) {
      let error: string | null = null;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: r.id, ...(JSON.parse(r.event) as object) }),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        });
        if (!res.ok) error = `HTTP ${res.status}`;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const at = this.clock.now();
      if (error === null) {
        this.db.prepare('UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?').run(new Date(at).toISOString(), r.id);
        this.delivered({ result: 'ok' });
        ok++;
      } else {
        const attempts = r.attempts + 1;
        const dead = attempts >= (this.opts.maxAttempts ?? 20);
        const delay = Math.min(600_000, 1000 * 2 ** Math.min(attempts, 10));
        this.db
          .prepare('UPDATE webhook_outbox SET attempts = ?, last_error = ?, next_at = ?, dead_at = ? WHERE id = ?')
          .run(attempts, error, new Date(at + delay).toISOString(), dead ? new Date(at).toISOString() : null, r.id);
        this.delivered({ result: dead ? 'dead' : 'retry' });
        this.log.warn({ id: r.id, attempts, error }, 'webhook delivery failed');
      }
    }
    return ok;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.deliverDue()
        .catch((err: unknown) => this.log.error({ err }, 'webhook loop failed'))
        .then(() => {
          this.running = undefined;
          this.schedule(this.opts.pollMs ?? 2000);
        });
    }, ms);
  }
}
