/**
 * Rating ingest: validate, check the topic, verify the signature, insert once by rating id, then
 * (after the inbox commits) ack on the device's acks topic.
 *
 * Results per rating: `stored` (inserted now), `duplicate` (this id was stored before: acked again,
 * counted, never stored twice), `rejected` with a code (only for ratings whose id can be read;
 * the device keeps them aside). A rating that is neither is not acked and the device re-sends it.
 */
import {
  Ack, Rating, buildTopic, isUuidV7, validate, verifyRating,
  type ErrorCode, type RatingFlag, type TopicAddress,
} from '@hcp/protocol';
import type { Logger } from 'pino';
import type { Db, Stmt } from '../db/db.js';
import type { Metrics } from '../metrics.js';
import type { InboxContext, PreChecked } from './inbox.js';
import type { ClockCorrector } from './clock-correction.js';
import type { DeviceKeys } from './device-keys.js';
import type { Publisher } from '../broker/commands.js';

/** A rating as stored by the hub. */
export interface StoredRating {
  /** Exactly as signed by the device. */
  readonly rating: Rating;
  readonly receivedAt: string;
  /** givenAt corrected for an untrusted clock when the boot's offset is known, else the device's. */
  readonly givenAt: string;
  /** The device's flags plus the hub's ('clock-corrected'). */
  readonly flags: readonly RatingFlag[];
  /** The rating's rowid in `ratings`: ascending in commit order (ratings are never deleted), so consumers that work after the commit can keep a cursor (hub/src/misuse). */
  readonly rowid: number;
}

/**
 * A hook that runs INSIDE the ingest transaction (a savepoint per rating), right after the rating
 * was inserted for the first time (never for duplicates). Write to your own tables with `tx`
 * (e.g. the forwarder fills its outbox): either the rating and everything the hooks wrote are
 * committed together, or none of it is. Hooks must be synchronous and must not do I/O other than
 * `tx`; a hook that throws rolls back this rating, which is then not acked (the device re-sends).
 * `after` queues work that must run only after the commit (events, commands).
 */
export type IngestHook = (tx: Db, rating: StoredRating, after: (fn: () => void | Promise<unknown>) => void) => void;

type AckItem = Ack['items'][number];
const ACK_MAX_ITEMS = Ack.properties.items.maxItems ?? 200;

export class Ingest {
  private readonly hooks: IngestHook[] = [];
  private insert?: Stmt;
  private ackQueue = new Map<string, AckItem[]>();
  /** Device boots whose clock offset is committed (see one()). */
  private readonly learnedBoots = new Set<string>();
  private ackFlush: Promise<void> | undefined;
  private readonly results: (l?: Record<string, string>, by?: number) => void;
  private readonly checkedBy: (l?: Record<string, string>, by?: number) => void;
  /** Ratings whose schema and signature were checked by the broker thread / by this one, since the last ack flush. */
  private checks = { broker: 0, hub: 0 };

  constructor(
    private readonly keys: DeviceKeys,
    private readonly corrector: ClockCorrector,
    private readonly link: Publisher,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.results = metrics.counter('hcp_hub_ratings_total', 'ratings handled by result and code');
    this.checkedBy = metrics.counter('hcp_hub_ratings_checked_total', 'ratings whose schema and signature were checked, by thread (broker: vouched for by the embedded broker thread)');
  }

  /** Registers a hook run inside the ingest transaction for every newly stored rating. Returns an unregister function. */
  onStored(hook: IngestHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** The inbox handler for the `ratings` kind. */
  readonly handle = (ctx: InboxContext, address: TopicAddress, payload: Buffer, pre?: PreChecked): void => {
    const items = this.process(ctx, address, payload, pre);
    if (items.length === 0) return;
    const topic = buildTopic(address.hallId, address.deviceId, 'acks');
    ctx.after(() => this.queueAck(topic, ctx.nowIso, items));
  };

  /**
   * Acks of one commit to one device go out as one message (up to the schema's 200 items each):
   * a device with several batches in flight gets them answered together, so the broker encodes,
   * writes and awaits a PUBACK for one ack instead of one per batch. Runs after the commit (from
   * the inbox's after-commit work); the inbox runs all of a commit's after-work in one synchronous
   * pass, so the microtask that publishes sees every ack of that commit. The returned promise
   * settles when this ack was handed to the broker (the inbox's stop() waits for it).
   */
  private queueAck(topic: string, at: string, items: readonly AckItem[]): Promise<void> {
    const q = this.ackQueue.get(topic);
    if (q) q.push(...items);
    else this.ackQueue.set(topic, [...items]);
    this.ackFlush ??= new Promise<void>((resolve) => queueMicrotask(() => resolve(this.sendAcks(at))));
    return this.ackFlush;
  }

  private async sendAcks(at: string): Promise<void> {
    const queue = this.ackQueue;
    this.ackQueue = new Map();
    this.ackFlush = undefined;
    // stored/duplicate are counted here, once committed (rejections when they happen, in process())
    let stored = 0;
    let duplicate = 0;
    for (const items of queue.values()) for (const it of items) if (it.result === 'stored') stored++; else if (it.result === 'duplicate') duplicate++;
    if (stored) this.results({ result: 'stored' }, stored);
    if (duplicate) this.results({ result: 'duplicate' }, duplicate);
    if (this.checks.broker) this.checkedBy({ by: 'broker' }, this.checks.broker);
    if (this.checks.hub) this.checkedBy({ by: 'hub' }, this.checks.hub);
    this.checks = { broker: 0, hub: 0 };
    const sends: Promise<void>[] = [];
    for (const [topic, items] of queue) {
      for (let i = 0; i < items.length; i += ACK_MAX_ITEMS) {
        const ack: Ack = { v: 1, at, items: items.slice(i, i + ACK_MAX_ITEMS) };
        sends.push(this.link.publish(topic, JSON.stringify(ack)).catch((err: unknown) => this.log.warn({ err, topic }, 'ack not sent; the device re-sends and gets a duplicate ack')));
      }
    }
    await Promise.all(sends);
  }

  private process(ctx: InboxContext, address: TopicAddress, payload: Buffer, pre: PreChecked | undefined): AckItem[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.results({ result: 'rejected', code: 'HCP_JSON_MALFORMED' });
      return [];
    }
    const list = parsed !== null && typeof parsed === 'object' ? (parsed as { ratings?: unknown }).ratings : undefined;
    if (!Array.isArray(list)) {
      this.results({ result: 'rejected', code: 'HCP_VALIDATION' });
      return [];
    }
    const version = (parsed as { v?: unknown }).v;
    const items: AckItem[] = [];
    const reject = (raw: unknown, code: ErrorCode): void => {
      this.results({ result: 'rejected', code });
      const id = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
      if (typeof id === 'string' && isUuidV7(id)) items.push({ id, result: 'rejected', code });
    };
    for (const [i, raw] of list.entries()) {
      if (i >= 200) reject(raw, 'HCP_VALIDATION');
      else if (version !== 1) reject(raw, 'HCP_VERSION_UNSUPPORTED');
      else {
        const r = this.one(ctx, address, raw, pre);
        if (typeof r === 'string') reject(raw, r);
        else items.push(r);
      }
    }
    return items;
  }

  private one(ctx: InboxContext, address: TopicAddress, raw: unknown, pre: PreChecked | undefined): AckItem | ErrorCode {
    // The broker thread may have checked schema and signature already (see PreChecked); that
    // stands only if it used the key this device has now. Otherwise (or for any message it did
    // not vouch for) both checks run here, and only here are coded rejections made.
    // one lookup serves both: a rating for another device than its topic's is refused below before `dev` is used
    const dev = this.keys.get(address.deviceId);
    const checked = pre !== undefined && dev?.key.equals(pre.sigKey) === true;
    let r: Rating;
    if (checked) {
      r = raw as Rating;
      this.checks.broker++;
    } else {
      this.checks.hub++;
      const v = validate(Rating, raw);
      if (!v.ok) return 'HCP_VALIDATION';
      r = v.value;
    }
    if (r.deviceId !== address.deviceId || r.hallId !== address.hallId) return 'HCP_TOPIC_FORBIDDEN';
    if (!dev) return 'HCP_DEVICE_UNKNOWN';
    if (dev.state !== 'active') return 'HCP_DEVICE_REVOKED';
    if (dev.hallId !== r.hallId) return 'HCP_TOPIC_FORBIDDEN';
    if (!checked && !verifyRating(r, dev.key)) return 'HCP_SIGNATURE_INVALID';

    const nowIso = ctx.nowIso;
    const flags: RatingFlag[] = [...r.flags];
    let corrected: string | null = null;
    if (!r.clock.trusted) {
      const off = this.corrector.offset(r.deviceId, r.clock.bootId);
      if (off !== undefined) {
        corrected = new Date(off + r.clock.monoMs).toISOString();
        if (!flags.includes('clock-corrected')) flags.push('clock-corrected');
      }
    }
    if (this.store(ctx.tx, r, flags, corrected, nowIso, ctx.after) === 'duplicate') return { id: r.id, result: 'duplicate' };
    // a trusted rating teaches the offset of its boot; earlier untrusted ratings of that boot get
    // corrected. The first offset of a boot is kept for good, so once one is committed the later
    // ratings of that boot skip the statement (remembered only after the commit: a rolled-back
    // offset must be learned again).
    if (r.clock.trusted) {
      const boot = `${r.deviceId}\n${r.clock.bootId}`;
      if (!this.learnedBoots.has(boot)) {
        this.corrector.learn(r.deviceId, r.clock.bootId, Date.parse(r.givenAt) - r.clock.monoMs, nowIso);
        ctx.after(() => {
          if (this.learnedBoots.size >= 100_000) this.learnedBoots.clear();
          this.learnedBoots.add(boot);
        });
      }
    }
    return { id: r.id, result: 'stored' };
  }

  /**
   * Stores a rating the hub received itself rather than from a device over MQTT (the mobile page,
   * origin 'mobile', signed with the hub's own key: hub/src/mobile) INSIDE the caller's transaction,
   * through the same insert and the same hooks as a device rating, so forwarding, cases and misuse
   * flags see it exactly like any other. The caller has validated it; there is no ack.
   * 'duplicate' (nothing written, no hook run) when the id is stored already.
   */
  storeLocal(tx: Db, r: Rating, nowMs: number, after: (fn: () => void | Promise<unknown>) => void): 'stored' | 'duplicate' {
    const result = this.store(tx, r, [...r.flags], null, new Date(nowMs).toISOString(), after);
    this.results({ result });
    return result;
  }

  /** Insert once by id, then the hooks in the same transaction. */
  private store(tx: Db, r: Rating, flags: RatingFlag[], corrected: string | null, nowIso: string, after: (fn: () => void | Promise<unknown>) => void): 'stored' | 'duplicate' {
    this.insert ??= tx.prepare(`INSERT INTO ratings
      (id, hall_id, device_id, window_id, session_id, level, given_at, corrected_given_at, clock_trusted, boot_id, mono_ms, flags, seq, received_at, body)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    let rowid: number;
    try {
      rowid = Number(this.insert.run(r.id, r.hallId, r.deviceId, r.windowId, r.sessionId, r.level, r.givenAt, corrected, r.clock.trusted ? 1 : 0,
        r.clock.bootId, r.clock.monoMs, JSON.stringify(flags), r.seq, nowIso, JSON.stringify(r)).lastInsertRowid);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'duplicate';
      throw err;
    }
    const stored: StoredRating = { rating: r, receivedAt: nowIso, givenAt: corrected ?? r.givenAt, flags, rowid };
    for (const h of this.hooks) h(tx, stored, after);
    return 'stored';
  }
}
