/**
 * Sessions from business / queue systems. A session is opened on a window, pushed to the window's
 * active device as `session.start` (staff card from the registry, a signed rate-later link), and
 * ends as rated (a rating with its id arrived), timed-out, cancelled or superseded (a newer session
 * on the same window). Applicant data is AES-256-GCM encrypted at rest, never sent to a device and
 * masked in every view. Unrated sessions stay in the table (the forwarder makes default ratings).
 */
import { randomBytes } from 'node:crypto';
import {
  DeviceEvent, HcpError, decodeJson, uuidv7,
  type Applicant, type SessionOpenRequest, type SessionOutcome, type SessionView, type StaffCard, type TopicAddress,
} from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { DataCrypto } from '../crypto/data-key.js';
import { maskName, maskNumber } from '../crypto/data-key.js';
import type { AuditLog } from '../audit.js';
import type { CommandSender } from '../broker/commands.js';
import type { EventBus } from '../events/bus.js';
import type { WebhookOutbox } from '../events/webhook.js';
import type { InboxContext } from '../inbox/inbox.js';
import type { StoredRating } from '../inbox/ingest.js';
import type { Logger } from 'pino';
import { signRateToken } from './rate-link.js';

export interface SessionsOptions {
  readonly sessionTtlS: number;
  readonly linkKey: string;
  readonly hallId: string;
}

interface Row {
  id: string; window_id: string; device_id: string | null; case_numbers: string; item_code: string; item_name: string;
  staff_id: string; applicant_enc: string | null; outcome: SessionOutcome; rating_id: string | null;
  opened_at: string; expires_at: string; ended_at: string | null; external_ref: string | null;
}

type After = (fn: () => void | Promise<unknown>) => void;

/** Grace after expiry before the hub itself calls a session timed out (the device normally reports it). */
const EXPIRY_GRACE_MS = 60_000;
/** How long POST /api/sessions waits for the broker to accept the push. */
const PUSH_WAIT_MS = 3000;

export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly crypto: DataCrypto,
    private readonly audit: AuditLog,
    private readonly commands: CommandSender,
    private readonly bus: EventBus,
    private readonly webhook: WebhookOutbox,
    private readonly log: Logger,
    private readonly opts: SessionsOptions,
  ) {}

  /** Opens a session and pushes it to the window's device. `baseUrl` builds the rate-later link. */
  async open(req: SessionOpenRequest, actor: string, baseUrl: string): Promise<SessionView> {
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const id = `s-${uuidv7(now, (b) => randomBytes(b.length))}`;
    const expiresMs = now + this.opts.sessionTtlS * 1000;
    const after: (() => void | Promise<unknown>)[] = [];
    let push: { hallId: string; deviceId: string; staff: StaffCard } | undefined;
    this.db.transaction(() => {
      const win = this.db.prepare('SELECT id FROM windows WHERE id = ?').get(req.windowId);
      if (!win) throw new HcpError('HCP_NOT_FOUND', { field: '/windowId', windowId: req.windowId }, { message: `window ${req.windowId} does not exist` });
      const staff = this.db.prepare('SELECT id, name, number, title, star_level AS starLevel, photo_type AS photoType FROM staff WHERE id = ? AND active = 1').get(req.staffId) as
        | { id: string; name: string; number: string; title: string | null; starLevel: number | null; photoType: string | null }
        | undefined;
      if (!staff) throw new HcpError('HCP_NOT_FOUND', { field: '/staffId', staffId: req.staffId }, { message: `staff ${req.staffId} is not in the registry` });
      const dev = this.db.prepare("SELECT id, hall_id AS hallId FROM devices WHERE window_id = ? AND state = 'active' ORDER BY created_at DESC LIMIT 1").get(req.windowId) as
        | { id: string; hallId: string }
        | undefined;
      if (!dev) throw new HcpError('HCP_WINDOW_NO_DEVICE', { windowId: req.windowId });
      const older = this.db.prepare("SELECT id FROM sessions WHERE window_id = ? AND outcome = 'pending'").all(req.windowId) as { id: string }[];
      for (const o of older) this.end(this.db, (fn) => after.push(fn), o.id, 'superseded', null, at);
      this.db
        .prepare(`INSERT INTO sessions (id, window_id, device_id, case_numbers, item_code, item_name, staff_id, applicant_enc, served_at, case_status,
          promise_kind, external_ref, outcome, opened_at, expires_at, opened_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`)
        .run(id, req.windowId, dev.id, JSON.stringify(req.caseNumbers), req.item.code, req.item.name, req.staffId,
          req.applicant ? this.crypto.encrypt(JSON.stringify(req.applicant)) : null, req.servedAt ?? null, req.caseStatus ?? null,
          req.promiseKind ?? null, req.externalRef ?? null, at, new Date(expiresMs).toISOString(), actor);
      this.audit.record(actor, 'session.open', id, { windowId: req.windowId, deviceId: dev.id, caseNumbers: req.caseNumbers });
      push = {
        hallId: dev.hallId,
        deviceId: dev.id,
        staff: {
          id: staff.id, name: staff.name, number: staff.number,
          ...(staff.photoType ? { photoUrl: `${baseUrl}/api/staff/${encodeURIComponent(staff.id)}/photo` } : {}),
          ...(staff.starLevel !== null ? { starLevel: staff.starLevel } : {}),
          ...(staff.title ? { title: staff.title } : {}),
        },
      };
    })();
    for (const fn of after) void Promise.resolve(fn()).catch((err: unknown) => this.log.warn({ err }, 'session follow-up failed'));
    const p = push!;
    // applicant data is deliberately absent from what the device gets. If the broker link is down,
    // mqtt.js keeps the publish and sends it on reconnect; the caller gets its answer after at most
    // PUSH_WAIT_MS either way (the session is stored and queryable).
    const sent = this.commands.send(p.hallId, p.deviceId, 'session.start', {
      sessionId: id,
      caseNumbers: req.caseNumbers,
      staff: p.staff,
      item: req.item,
      rateUrl: `${baseUrl}/m/r/${signRateToken(id, expiresMs + 7 * 86_400_000, this.opts.linkKey)}`,
      expiresAt: new Date(expiresMs).toISOString(),
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      sent.then(() => true, () => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), PUSH_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!waited) this.log.warn({ sessionId: id, deviceId: p.deviceId }, 'session.start not yet confirmed by the broker');
    sent.catch((err: unknown) => this.log.error({ err, sessionId: id }, 'session.start push failed'));
    return this.get(id)!;
  }

  get(id: string): SessionView | null {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Row | undefined;
    return r ? this.view(r) : null;
  }

  list(filter: { windowId?: string; outcome?: SessionOutcome; limit: number }): SessionView[] {
    const rows = this.db
      .prepare('SELECT * FROM sessions WHERE (? IS NULL OR window_id = ?) AND (? IS NULL OR outcome = ?) ORDER BY opened_at DESC LIMIT ?')
      .all(filter.windowId ?? null, filter.windowId ?? null, filter.outcome ?? null, filter.outcome ?? null, filter.limit) as Row[];
    return rows.map((r) => this.view(r));
  }

  /** Decrypted applicant data, for the forwarder (never for a view). */
  applicant(id: string): Applicant | null {
    const r = this.db.prepare('SELECT applicant_enc FROM sessions WHERE id = ?').get(id) as { applicant_enc: string | null } | undefined;
    return r?.applicant_enc ? (JSON.parse(this.crypto.decrypt(r.applicant_enc)) as Applicant) : null;
  }

  async cancel(id: string, actor: string, reason?: string): Promise<SessionView> {
    const at = new Date(this.clock.now()).toISOString();
    const after: (() => void | Promise<unknown>)[] = [];
    const r = this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Row | undefined;
      if (!row) throw new HcpError('HCP_NOT_FOUND', { sessionId: id });
      if (row.outcome !== 'pending') throw new HcpError('HCP_CONFLICT', { sessionId: id, outcome: row.outcome }, { message: `session is already ${row.outcome}` });
      this.end(this.db, (fn) => after.push(fn), id, 'cancelled', null, at);
      this.audit.record(actor, 'session.cancel', id, { reason: reason ?? null });
      return row;
    })();
    for (const fn of after) void Promise.resolve(fn()).catch((err: unknown) => this.log.warn({ err }, 'session follow-up failed'));
    const dev = r.device_id ? (this.db.prepare('SELECT hall_id AS hallId FROM devices WHERE id = ?').get(r.device_id) as { hallId: string } | undefined) : undefined;
    if (dev && r.device_id) await this.commands.send(dev.hallId, r.device_id, 'session.cancel', { sessionId: id, ...(reason ? { reason } : {}) });
    return this.get(id)!;
  }

  /** Ingest hook: a stored rating naming a session ends it as rated (a late rating wins over a timeout). */
  readonly onRating = (tx: Db, s: StoredRating, after: After): void => {
    if (!s.rating.sessionId) return;
    const row = tx.prepare('SELECT outcome FROM sessions WHERE id = ?').get(s.rating.sessionId) as { outcome: SessionOutcome } | undefined;
    if (!row || row.outcome === 'rated') return;
    this.end(tx, after, s.rating.sessionId, 'rated', s.rating.id, s.receivedAt);
  };

  /** Inbox handler for device `events` (session.ended). */
  readonly onDeviceEvent = (ctx: InboxContext, a: TopicAddress, payload: Buffer): void => {
    const m = decodeJson(DeviceEvent, payload);
    if (!m.ok) return;
    const e = m.value;
    const row = ctx.tx.prepare('SELECT outcome, device_id AS deviceId FROM sessions WHERE id = ?').get(e.sessionId) as { outcome: SessionOutcome; deviceId: string | null } | undefined;
    if (!row || row.deviceId !== a.deviceId || row.outcome !== 'pending') return;
    // 'rated' is decided by the rating itself (it carries the signature); the event alone is not proof
    if (e.outcome === 'rated') return;
    this.end(ctx.tx, ctx.after, e.sessionId, e.outcome, null, new Date(ctx.now).toISOString());
  };

  /** Periodic: pending sessions long past expiry become timed-out. */
  readonly expire = (tx: Db, now: number, after: After): void => {
    const cutoff = new Date(now - EXPIRY_GRACE_MS).toISOString();
    const due = tx.prepare("SELECT id FROM sessions WHERE outcome = 'pending' AND expires_at < ?").all(cutoff) as { id: string }[];
    for (const d of due) this.end(tx, after, d.id, 'timed-out', null, new Date(now).toISOString());
  };

  private end(tx: Db, after: After, id: string, outcome: Exclude<SessionOutcome, 'pending'>, ratingId: string | null, at: string): void {
    tx.prepare('UPDATE sessions SET outcome = ?, rating_id = COALESCE(?, rating_id), ended_at = ? WHERE id = ?').run(outcome, ratingId, at, id);
    const ext = tx.prepare('SELECT external_ref AS ref, window_id AS windowId FROM sessions WHERE id = ?').get(id) as { ref: string | null; windowId: string };
    const data = { sessionId: id, outcome, ratingId, externalRef: ext.ref, windowId: ext.windowId };
    this.webhook.enqueue(tx, { type: 'session.outcome', at, data });
    after(() => {
      this.bus.emit('session.outcome', at, data);
      this.webhook.poke();
    });
  }

  private view(r: Row): SessionView {
    const v: SessionView = {
      id: r.id, windowId: r.window_id, deviceId: r.device_id, caseNumbers: JSON.parse(r.case_numbers) as string[],
      itemCode: r.item_code, staffId: r.staff_id, outcome: r.outcome, ratingId: r.rating_id, openedAt: r.opened_at, endedAt: r.ended_at,
    };
    if (r.applicant_enc) {
      const a = JSON.parse(this.crypto.decrypt(r.applicant_enc)) as Applicant;
      v.applicant = { name: maskName(a.name), idNumber: maskNumber(a.idNumber, 3, 4), ...(a.phone ? { phone: maskNumber(a.phone, 3, 4) } : {}) };
    }
    return v;
  }
}
