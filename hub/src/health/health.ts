/**
 * Device health from retained status (online / offline, LWT), telemetry and an inactivity timeout,
 * with alerts: device-offline (longer than offlineAlertMin), backlog-growing (N rising reports in a
 * row), input-failed, disk-low, clock-untrusted.
 *
 * On every `online` status the device gets `time.sync`, and the indicator list and settings if it
 * is behind. `check()` runs every healthCheckS (timer injected via start/stop; tests call it).
 */
import { DeviceStatus, Telemetry, decodeJson, timeSyncFor, type TopicAddress } from '@hcp/protocol';
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { InboxContext } from '../inbox/inbox.js';
import type { ClockCorrector } from '../inbox/clock-correction.js';
import type { CommandSender } from '../broker/commands.js';
import type { EventBus } from '../events/bus.js';
import type { Alerts } from './alerts.js';
import type { DeviceSettingsStore } from './device-settings.js';

export interface HealthOptions {
  readonly inactivityTimeoutS: number;
  readonly healthCheckS: number;
  readonly offlineAlertMin: number;
  readonly diskLowBytes: number;
  readonly backlogGrowthReports: number;
}

interface DeviceRow {
  id: string;
  hallId: string;
  onlineState: 'unknown' | 'online' | 'offline';
  bootId: string | null;
  telemetry: string | null;
  backlogRises: number;
  indicatorsVersion: string | null;
  settingsVersion: number;
}

/** Extra periodic work (session expiry) hooked into the same timer. */
export type PeriodicTask = (tx: Db, now: number, after: (fn: () => void | Promise<unknown>) => void) => void;

export class Health {
  private timer: NodeJS.Timeout | undefined;
  private readonly tasks: PeriodicTask[] = [];
  private readonly invalid: (l?: Record<string, string>) => void;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly alerts: Alerts,
    private readonly bus: EventBus,
    private readonly commands: CommandSender,
    private readonly settings: DeviceSettingsStore,
    private readonly corrector: ClockCorrector,
    private readonly opts: HealthOptions,
  ) {
    this.invalid = metrics.counter('hcp_hub_device_messages_invalid_total', 'status/telemetry/event messages rejected, by kind and code');
    metrics.gauge('hcp_hub_devices', 'registered active devices by online state', () =>
      (this.db.prepare("SELECT online_state AS s, COUNT(*) AS n FROM devices WHERE state = 'active' GROUP BY online_state").all() as { s: string; n: number }[]).map((r) => ({ labels: { state: r.s }, value: r.n })),
    );
  }

  addPeriodic(task: PeriodicTask): void {
    this.tasks.push(task);
  }

  start(): void {
    this.timer = setInterval(() => {
      try {
        this.check();
      } catch (err) {
        this.log.error({ err }, 'health check failed');
      }
    }, this.opts.healthCheckS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private device(id: string): DeviceRow | undefined {
    return this.db
      .prepare(`SELECT id, hall_id AS hallId, online_state AS onlineState, boot_id AS bootId, telemetry, backlog_rises AS backlogRises,
        indicators_version AS indicatorsVersion, settings_version AS settingsVersion FROM devices WHERE id = ? AND state = 'active'`)
      .get(id) as DeviceRow | undefined;
  }

  /** Inbox handler for `status`. */
  readonly onStatus = (ctx: InboxContext, a: TopicAddress, payload: Buffer): void => {
    const m = decodeJson(DeviceStatus, payload);
    if (!m.ok) return this.invalid({ kind: 'status', code: m.code });
    const d = this.device(a.deviceId);
    if (!d || d.hallId !== a.hallId) return this.invalid({ kind: 'status', code: 'HCP_DEVICE_UNKNOWN' });
    const at = new Date(ctx.now).toISOString();
    const changed = d.onlineState !== m.value.state;
    ctx.tx
      .prepare(`UPDATE devices SET online_state = ?, offline_reason = ?, boot_id = COALESCE(?, boot_id), last_seen_at = ?,
        state_changed_at = CASE WHEN online_state = ? THEN state_changed_at ELSE ? END WHERE id = ?`)
      .run(m.value.state, m.value.state === 'offline' ? (m.value.reason ?? null) : null, m.value.bootId ?? null, at, m.value.state, at, d.id);
    if (m.value.state === 'online') {
      this.alerts.clear(ctx.tx, ctx.after, d.id, 'device-offline', at);
      this.catchUp(ctx, d, m.value);
    }
    if (changed) ctx.after(() => {
      this.bus.emit(`device.${m.value.state}`, at, { deviceId: d.id, reason: m.value.reason ?? null });
    });
  };

  /**
   * time.sync always (echoing the status' boot id and monotonic ms, so the device can tell a prompt
   * answer from one that waited in a queue); indicators and settings only when the device is behind.
   */
  private catchUp(ctx: InboxContext, d: DeviceRow, status: DeviceStatus): void {
    const sync = timeSyncFor(status, this.clock.now());
    ctx.after(() => this.commands.send(d.hallId, d.id, 'time.sync', sync));
    const list = this.settings.indicators();
    if (list && list.version !== d.indicatorsVersion) {
      ctx.after(() => this.commands.send(d.hallId, d.id, 'indicators.set', { list }));
    }
    const s = this.settings.settings();
    if (s.version > d.settingsVersion) {
      ctx.tx.prepare('UPDATE devices SET settings_version = ? WHERE id = ?').run(s.version, d.id);
      ctx.after(() => this.commands.send(d.hallId, d.id, 'config.update', { settings: s.value }));
    }
  }

  /** Inbox handler for `telemetry`. */
  readonly onTelemetry = (ctx: InboxContext, a: TopicAddress, payload: Buffer): void => {
    const m = decodeJson(Telemetry, payload);
    if (!m.ok) return this.invalid({ kind: 'telemetry', code: m.code });
    const d = this.device(a.deviceId);
    if (!d || d.hallId !== a.hallId) return this.invalid({ kind: 'telemetry', code: 'HCP_DEVICE_UNKNOWN' });
    const t = m.value;
    const at = new Date(ctx.now).toISOString();
    const prevBacklog = d.telemetry ? (JSON.parse(d.telemetry) as Telemetry).backlog : 0;
    const rises = t.backlog > prevBacklog ? d.backlogRises + 1 : t.backlog < prevBacklog || t.backlog === 0 ? 0 : d.backlogRises;
    const cameBack = d.onlineState !== 'online';
    ctx.tx
      .prepare(`UPDATE devices SET telemetry = ?, telemetry_at = ?, last_seen_at = ?, backlog_rises = ?, boot_id = ?,
        indicators_version = COALESCE(?, indicators_version), online_state = 'online', offline_reason = NULL,
        state_changed_at = CASE WHEN online_state = 'online' THEN state_changed_at ELSE ? END WHERE id = ?`)
      .run(JSON.stringify(t), at, at, rises, t.clock.bootId, t.versions.indicators ?? null, at, d.id);
    if (cameBack) {
      this.alerts.clear(ctx.tx, ctx.after, d.id, 'device-offline', at);
      ctx.after(() => {
        this.bus.emit('device.online', at, { deviceId: d.id, reason: 'telemetry' });
      });
    }
    const toggle = (cond: boolean, kind: Parameters<Alerts['raise']>[3], detail: unknown): void => {
      if (cond) this.alerts.raise(ctx.tx, ctx.after, d.id, kind, at, detail);
      else this.alerts.clear(ctx.tx, ctx.after, d.id, kind, at);
    };
    toggle(t.input.state === 'failed', 'input-failed', { driver: t.input.driver, detail: t.input.detail ?? null });
    toggle(t.diskFreeBytes !== null && t.diskFreeBytes < this.opts.diskLowBytes, 'disk-low', { diskFreeBytes: t.diskFreeBytes });
    toggle(!t.clock.trusted, 'clock-untrusted', { bootId: t.clock.bootId, source: t.clock.source });
    if (rises >= this.opts.backlogGrowthReports) this.alerts.raise(ctx.tx, ctx.after, d.id, 'backlog-growing', at, { backlog: t.backlog, rises });
    else if (rises === 0) this.alerts.clear(ctx.tx, ctx.after, d.id, 'backlog-growing', at);
    if (t.clock.trusted) this.corrector.learn(d.id, t.clock.bootId, Date.parse(t.at) - t.clock.monoMs, at);
  };

  /** Inactivity → offline; offline longer than offlineAlertMin → alert; then the periodic tasks. */
  check(): void {
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const after: (() => void | Promise<unknown>)[] = [];
    const push = (fn: () => void | Promise<unknown>): void => {
      after.push(fn);
    };
    this.db.transaction(() => {
      const silentSince = new Date(now - this.opts.inactivityTimeoutS * 1000).toISOString();
      const gone = this.db
        .prepare("SELECT id FROM devices WHERE state = 'active' AND online_state = 'online' AND (last_seen_at IS NULL OR last_seen_at < ?)")
        .all(silentSince) as { id: string }[];
      for (const g of gone) {
        this.db.prepare("UPDATE devices SET online_state = 'offline', offline_reason = 'inactivity', state_changed_at = ? WHERE id = ?").run(at, g.id);
        push(() => {
          this.bus.emit('device.offline', at, { deviceId: g.id, reason: 'inactivity' });
        });
      }
      const longSince = new Date(now - this.opts.offlineAlertMin * 60_000).toISOString();
      const longGone = this.db
        .prepare("SELECT id, state_changed_at AS since FROM devices WHERE state = 'active' AND online_state = 'offline' AND state_changed_at <= ?")
        .all(longSince) as { id: string; since: string }[];
      for (const d of longGone) this.alerts.raise(this.db, push, d.id, 'device-offline', at, { since: d.since });
      for (const t of this.tasks) t(this.db, now, push);
    })();
    for (const fn of after) {
      try {
        const r = fn();
        if (r instanceof Promise) r.catch((err: unknown) => this.log.warn({ err }, 'after-check work failed'));
      } catch (err) {
        this.log.warn({ err }, 'after-check work failed');
      }
    }
  }
}
