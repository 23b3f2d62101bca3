/**
 * The single writer for everything devices publish. Messages arriving close together are handled
 * in one transaction (one fsync for many ratings); each message runs in its own savepoint, so one
 * failing message rolls back alone. Work that must follow the commit (acks to devices, commands,
 * events) is queued with `ctx.after()` and runs only once the commit succeeded.
 */
import type { Logger } from 'pino';
import { parseTopic, type DevicePublishKind, type TopicAddress } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';

export interface InboxContext {
  readonly tx: Db;
  /** Unix ms at the start of this batch (injected clock). */
  readonly now: number;
  /** `now` as an ISO instant (made once per batch). */
  readonly nowIso: string;
  /** Runs after the commit; a returned promise is awaited on stop(). */
  after(fn: () => void | Promise<unknown>): void;
}

/**
 * What the broker thread already checked about a message (embedded broker only): every rating in it
 * passed the Rating schema and its signature verified against `sigKey`, the key the hub gave that
 * connection at authentication. Trusted only while `sigKey` is still the device's key.
 */
export interface PreChecked {
  readonly sigKey: Buffer;
}

export type KindHandler = (ctx: InboxContext, address: TopicAddress, payload: Buffer, pre?: PreChecked) => void;

export interface InboxOptions {
  /** Flush at once when this many messages wait (default 500). */
  readonly maxBatch?: number;
  /**
   * How long the first message of a batch may wait for company (default 4 ms). Messages arrive
   * one by one, so flushing on setImmediate commits (and fsyncs) a handful at a time; a few ms lets
   * hundreds share one commit at the cost of that latency.
   */
  readonly batchWindowMs?: number;
  /**
   * Commits start at least this far apart unless a batch is full (default 20 ms). Steady light
   * traffic (5,000 devices' telemetry, 500 messages/s) with only the 4 ms window meant ~200
   * fsyncs/s, a quarter of the hub's CPU (bench/heartbeat.ts); this caps it at 50/s. Measured from
   * the start of the previous commit, so after a long commit (a backlog drain's 500 messages) the
   * next one waits no more than the window: a fixed 20 ms window instead left the thread idle for
   * up to 20 ms after every commit of a drain. The device never waits on either: the citizen's
   * rating is safe in the device's outbox before the hub sees it.
   */
  readonly minCommitIntervalMs?: number;
}

export class DeviceInbox {
  private queue: { address: TopicAddress; payload: Buffer; pre: PreChecked | undefined }[] = [];
  private scheduled: NodeJS.Timeout | undefined;
  private lastFlushAt = -Infinity;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly handlers = new Map<DevicePublishKind, KindHandler>();
  private readonly received: (l?: Record<string, string>) => void;
  private readonly failed: (l?: Record<string, string>, by?: number) => void;
  private readonly batches: (l?: Record<string, string>, by?: number) => void;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: InboxOptions = {},
  ) {
    this.received = metrics.counter('hcp_hub_mqtt_messages_total', 'device messages received by kind');
    this.failed = metrics.counter('hcp_hub_inbox_failures_total', 'device messages whose handling threw (rolled back, not acked)');
    this.batches = metrics.counter('hcp_hub_inbox_commits_total', 'inbox transactions committed');
    metrics.gauge('hcp_hub_inbox_queue', 'device messages waiting for the next commit', () => this.queue.length);
  }

  handle(kind: DevicePublishKind, handler: KindHandler): void {
    this.handlers.set(kind, handler);
  }

  /** The MQTT message sink. Never throws. */
  push(topic: string, payload: Buffer, pre?: PreChecked): void {
    const p = parseTopic(topic);
    if (!p.ok || !this.handlers.has(p.topic.kind as DevicePublishKind)) {
      this.received({ kind: 'invalid-topic' });
      return;
    }
    this.received({ kind: p.topic.kind });
    if (this.stopped) return; // shutting down: not acked, the device re-sends
    this.queue.push({ address: p.topic, payload, pre });
    if (this.queue.length >= (this.opts.maxBatch ?? 500)) this.flush();
    else if (!this.scheduled) {
      const sinceLast = performance.now() - this.lastFlushAt;
      const wait = Math.max(this.opts.batchWindowMs ?? 4, (this.opts.minCommitIntervalMs ?? 20) - sinceLast);
      this.scheduled = setTimeout(() => this.flush(), wait);
    }
  }

  /** Handles every queued message in one transaction, then runs the after-commit work. */
  flush(): void {
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = undefined;
    if (this.queue.length === 0) return;
    this.lastFlushAt = performance.now(); // scheduling only (real time, not the injected clock)
    const batch = this.queue;
    this.queue = [];
    const after: (() => void | Promise<unknown>)[] = [];
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const one = this.db.transaction((ctx: InboxContext, address: TopicAddress, payload: Buffer, pre: PreChecked | undefined) => {
      this.handlers.get(address.kind as DevicePublishKind)?.(ctx, address, payload, pre);
    });
    try {
      this.db.transaction(() => {
        for (const m of batch) {
          const mine: (() => void | Promise<unknown>)[] = [];
          const ctx: InboxContext = { tx: this.db, now, nowIso, after: (fn) => mine.push(fn) };
          try {
            one(ctx, m.address, m.payload, m.pre); // nested transaction = savepoint
            after.push(...mine);
          } catch (err) {
            this.failed({ kind: m.address.kind });
            this.log.error({ err, deviceId: m.address.deviceId, kind: m.address.kind }, 'device message failed; rolled back');
          }
        }
      })();
    } catch (err) {
      // the commit itself failed (disk full, I/O): nothing is acked, devices will re-send
      this.failed({ kind: 'commit' }, batch.length);
      this.log.error({ err, messages: batch.length }, 'inbox commit failed');
      return;
    }
    this.batches();
    for (const fn of after) {
      try {
        const r = fn();
        if (r instanceof Promise) {
          const tracked = r.catch((err: unknown) => this.log.warn({ err }, 'after-commit work failed')).finally(() => this.pending.delete(tracked));
          this.pending.add(tracked);
        }
      } catch (err) {
        this.log.warn({ err }, 'after-commit work failed');
      }
    }
  }

  /** Graceful stop: refuse new messages, commit what is queued, wait for its acks to be sent. */
  async stop(): Promise<void> {
    this.flush();
    this.stopped = true;
    await Promise.allSettled([...this.pending]);
  }
}
