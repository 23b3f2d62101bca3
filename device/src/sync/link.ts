/**
 * MQTT link to the hub's broker: own reconnect (exponential backoff + jitter, one fresh mqtt.js
 * client per attempt, auto-reconnect off), retained status with an LWT, and the outbox drain.
 *
 * Nothing waits in mqtt.js memory: a client is thrown away with whatever it held when its
 * connection drops, and after every (re)connect the drain starts again from the oldest unacked
 * row of the outbox. The drain sends ordered batches with a bounded number in flight and a token
 * bucket for the rate; a batch whose ack does not come in time is sent again (the hub dedupes by id).
 */
import { createConnection } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { Logger } from 'pino';
import {
  Ack, Command, MAX_PAYLOAD_BYTES, buildTopic, decodeJson, type CommandResult, type DevicePublishKind, type DeviceStatus,
} from '@hcp/protocol';
import type { Outbox } from '../outbox/outbox.js';
import type { Clock, DeviceTime } from '../time/clock.js';
import type { DeviceConfig } from '../config/schema.js';
import { backoffMs } from './backoff.js';

export interface MqttIdentity {
  readonly hallId: string;
  readonly deviceId: string;
  readonly mqtt: { readonly url: string; readonly username: string; readonly password: string; readonly clientId: string };
}

export type LinkState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'online'; readonly since: number }
  | { readonly kind: 'waiting'; readonly attempt: number; readonly retryAt: number };

export interface LinkCounters {
  published: number;
  acked: number;
  rejected: number;
  republished: number;
  badAcks: number;
  badCommands: number;
  connects: number;
}

export interface LinkDeps {
  readonly identity: MqttIdentity;
  readonly cfg: DeviceConfig['sync'];
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly time: DeviceTime;
  readonly random: () => number;
  readonly log: Logger;
  /** Valid commands; the answer is published on the results topic. */
  readonly onCommand: (cmd: Command) => Promise<Omit<CommandResult, 'v' | 'commandId' | 'type' | 'at'>>;
  readonly onState?: (s: LinkState) => void;
  readonly onAcked?: (ids: readonly string[]) => void;
}

interface Inflight {
  readonly ids: Set<string>;
  readonly sentAt: number;
}

export class SyncLink {
  private state: LinkState = { kind: 'stopped' };
  private client: MqttClient | null = null;
  private timer: unknown = null;
  private pumpTimer: unknown = null;
  private ackTimer: unknown = null;
  private cursor = 0;
  private inflight: Inflight[] = [];
  private tokens = 0;
  private tokensAt = 0;
  private recentCommands: string[] = [];
  readonly counters: LinkCounters = { published: 0, acked: 0, rejected: 0, republished: 0, badAcks: 0, badCommands: 0, connects: 0 };

  constructor(private readonly d: LinkDeps) {}

  get current(): LinkState {
    return this.state;
  }

  topic(kind: DevicePublishKind | 'acks' | 'commands'): string {
    return buildTopic(this.d.identity.hallId, this.d.identity.deviceId, kind);
  }

  start(): void {
    if (this.state.kind !== 'stopped') return;
    this.connect(0);
  }

  /**
   * Publishes `online` again (retained), with the current monotonic ms: the hub answers every
   * `online` with a time.sync, so this asks for a fresh one. False when not connected.
   */
  announce(): boolean {
    const c = this.client;
    if (!c || this.state.kind !== 'online') return false;
    this.publishOnline(c);
    return true;
  }

  private publishOnline(c: MqttClient): void {
    const online: DeviceStatus = { v: 1, state: 'online', at: this.d.time.iso(), bootId: this.d.time.bootId, monoMs: this.d.time.info().monoMs };
    c.publish(this.topic('status'), JSON.stringify(online), { qos: 1, retain: true });
  }

  /** Publishes `offline` (reason) retained, then closes. */
  async stop(reason: DeviceStatus['reason'] = 'shutdown'): Promise<void> {
    const c = this.client;
    this.setState({ kind: 'stopped' });
    this.clearTimers();
    this.client = null;
    if (!c) return;
    if (c.connected) {
      const body: DeviceStatus = { v: 1, state: 'offline', at: this.d.time.iso(), reason, bootId: this.d.time.bootId };
      await new Promise<void>((res) => {
        c.publish(this.topic('status'), JSON.stringify(body), { qos: 1, retain: true }, () => res());
        this.d.clock.setTimeout(res, 1000);
      });
    }
    // A graceful end waits for in-flight PUBACKs; never let a stuck broker hold the stop.
    await new Promise<void>((res) => {
      const t = this.d.clock.setTimeout(() => c.end(true, {}, () => res()), 2000);
      c.end(false, {}, () => {
        this.d.clock.clearTimeout(t);
        res();
      });
    });
  }

  /** New rows are in the outbox. */
  kick(): void {
    if (this.state.kind === 'online') this.pump();
  }

  /** Best-effort publish (telemetry, results, events): dropped when offline. */
  publish(kind: DevicePublishKind, body: unknown, retain = false): boolean {
    const c = this.client;
    if (this.state.kind !== 'online' || !c) return false;
    c.publish(this.topic(kind), JSON.stringify(body), { qos: 1, retain }, (err) => {
      if (err) this.d.log.debug({ err, kind }, 'publish failed');
    });
    return true;
  }

  private setState(s: LinkState): void {
    this.state = s;
    this.d.onState?.(s);
  }

  private clearTimers(): void {
    for (const t of [this.timer, this.pumpTimer, this.ackTimer]) if (t !== null) this.d.clock.clearTimeout(t);
    this.timer = this.pumpTimer = this.ackTimer = null;
  }

  private connect(attempt: number): void {
    this.setState({ kind: 'connecting', attempt });
    const id = this.d.identity;
    const will: DeviceStatus = { v: 1, state: 'offline', at: this.d.time.iso(), reason: 'lwt', bootId: this.d.time.bootId };
    const c = openClient(id.mqtt.url, {
      clientId: id.mqtt.clientId,
      username: id.mqtt.username,
      password: id.mqtt.password,
      clean: false,
      keepalive: this.d.cfg.keepaliveS,
      connectTimeout: this.d.cfg.connectTimeoutMs,
      reconnectPeriod: 0, // our own backoff below
      queueQoSZero: false,
      // mqtt-packet would otherwise pre-build 65,536 two-byte Buffers (~6.5 MB of heap, a tenth of
      // the device's idle RSS) to save one tiny allocation per packet id (issue 3: idle RSS ≤ 80 MB).
      writeCache: false,
      will: { topic: this.topic('status'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    });
    this.client = c;
    let down = false;
    const onDown = (why: string): void => {
      if (down || this.client !== c) return;
      down = true;
      this.client = null;
      this.inflight = [];
      c.removeAllListeners('message');
      c.end(true);
      if (this.state.kind === 'stopped') return;
      const wasOnline = this.state.kind === 'online';
      if (this.ackTimer !== null) this.d.clock.clearTimeout(this.ackTimer);
      if (this.pumpTimer !== null) this.d.clock.clearTimeout(this.pumpTimer);
      this.ackTimer = this.pumpTimer = null;
      const next = wasOnline ? 0 : attempt + 1;
      const wait = backoffMs(next, this.d.cfg.reconnectMinMs, this.d.cfg.reconnectMaxMs, this.d.random);
      this.d.log.info({ why, retryInMs: wait, attempt: next }, 'mqtt link down');
      this.setState({ kind: 'waiting', attempt: next, retryAt: this.d.clock.now() + wait });
      this.timer = this.d.clock.setTimeout(() => {
        this.timer = null;
        if (this.state.kind === 'waiting') this.connect(next);
      }, wait);
    };
    c.on('connect', () => {
      if (this.client !== c) return;
      this.counters.connects++;
      c.subscribe([this.topic('acks'), this.topic('commands')], { qos: 1 }, (err) => {
        if (err) return onDown(`subscribe: ${err.message}`);
        if (this.client !== c) return;
        this.publishOnline(c);
        this.setState({ kind: 'online', since: this.d.clock.now() });
        this.d.log.info('mqtt link online');
        // Start over from the oldest unacked row: whatever was in flight before is sent again.
        this.cursor = 0;
        this.inflight = [];
        this.tokens = this.d.cfg.batchSize;
        this.tokensAt = this.d.clock.mono();
        this.pump();
        this.armAckTimer();
      });
    });
    c.on('message', (topic, payload) => this.onMessage(topic, payload));
    c.on('error', (err) => onDown(`error: ${err.message}`));
    c.on('close', () => onDown('close'));
    c.on('offline', () => onDown('offline'));
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === this.topic('acks')) return this.onAck(payload);
    if (topic === this.topic('commands')) return void this.onCommandMessage(payload);
  }

  private onAck(payload: Buffer): void {
    const r = decodeJson(Ack, payload);
    if (!r.ok) {
      this.counters.badAcks++;
      this.d.log.warn({ code: r.code, errors: r.errors }, 'bad ack ignored');
      return;
    }
    const { removed, rejected } = this.d.outbox.applyAck(r.value.items);
    this.counters.acked += removed.length;
    this.counters.rejected += rejected;
    if (rejected > 0) this.d.log.warn({ items: r.value.items.filter((i) => i.result === 'rejected') }, 'ratings rejected by the hub, kept aside');
    for (const it of r.value.items) for (const b of this.inflight) b.ids.delete(it.id);
    this.inflight = this.inflight.filter((b) => b.ids.size > 0);
    if (removed.length) this.d.onAcked?.(removed);
    this.pump();
  }

  private async onCommandMessage(payload: Buffer): Promise<void> {
    const r = decodeJson(Command, payload);
    if (!r.ok) {
      this.counters.badCommands++;
      this.d.log.warn({ code: r.code, errors: r.errors }, 'bad command ignored');
      const raw = tryJson(payload);
      const commandId = typeof raw?.id === 'string' && /^[0-9a-f-]{36}$/.test(raw.id) ? raw.id : null;
      if (commandId) {
        const code = r.code === 'HCP_VALIDATION' && r.errors.some((e) => e.field === '/type') ? 'HCP_COMMAND_UNKNOWN' : r.code;
        this.publish('results', { v: 1, commandId, type: String(raw?.type ?? '').slice(0, 32), ok: false, code, detail: r.errors.map((e) => `${e.field}: ${e.rule}`).join('; ').slice(0, 500), at: this.d.time.iso() } satisfies CommandResult);
      }
      return;
    }
    const cmd = r.value;
    // QoS 1 may deliver twice: answer a repeated id without acting again.
    if (this.recentCommands.includes(cmd.id)) return;
    this.recentCommands.push(cmd.id);
    if (this.recentCommands.length > 64) this.recentCommands.shift();
    let res: Omit<CommandResult, 'v' | 'commandId' | 'type' | 'at'>;
    try {
      res = await this.d.onCommand(cmd);
    } catch (err) {
      this.d.log.error({ err, type: cmd.type }, 'command failed');
      res = { ok: false, code: 'HCP_INTERNAL', detail: (err as Error).message.slice(0, 500) };
    }
    this.publish('results', { v: 1, commandId: cmd.id, type: cmd.type, at: this.d.time.iso(), ...res } satisfies CommandResult);
  }

  private refill(): void {
    const now = this.d.clock.mono();
    const cap = this.d.cfg.batchSize * this.d.cfg.maxInflightBatches;
    this.tokens = Math.min(cap, this.tokens + ((now - this.tokensAt) * this.d.cfg.maxRatePerS) / 1000);
    this.tokensAt = now;
  }

  private pump(): void {
    const c = this.client;
    if (this.state.kind !== 'online' || !c || this.pumpTimer !== null) return;
    const { batchSize, maxInflightBatches, maxRatePerS } = this.d.cfg;
    while (this.inflight.length < maxInflightBatches) {
      const rows = fitPayload(this.d.outbox.pendingAfter(this.cursor, batchSize));
      if (rows.length === 0) return;
      this.refill();
      if (this.tokens < rows.length) {
        const waitMs = Math.ceil(((rows.length - this.tokens) * 1000) / maxRatePerS);
        this.pumpTimer = this.d.clock.setTimeout(() => {
          this.pumpTimer = null;
          this.pump();
        }, Math.max(1, waitMs));
        return;
      }
      this.tokens -= rows.length;
      const last = rows[rows.length - 1]!;
      this.cursor = last.seq;
      this.inflight.push({ ids: new Set(rows.map((r) => r.id)), sentAt: this.d.clock.mono() });
      // Bodies are stored as signed JSON; splice them into the batch without re-encoding.
      const payload = `{"v":1,"ratings":[${rows.map((r) => r.body).join(',')}]}`;
      this.counters.published += rows.length;
      c.publish(this.topic('ratings'), payload, { qos: 1 }, (err) => {
        if (err) this.d.log.debug({ err }, 'ratings publish failed; will be sent again');
      });
    }
  }

  private armAckTimer(): void {
    const every = Math.max(50, Math.floor(this.d.cfg.ackTimeoutMs / 2));
    this.ackTimer = this.d.clock.setTimeout(() => {
      this.ackTimer = null;
      if (this.state.kind !== 'online') return;
      const oldest = this.inflight[0];
      if (oldest && this.d.clock.mono() - oldest.sentAt > this.d.cfg.ackTimeoutMs) {
        // No ack in time: send everything unacked again, in order.
        this.counters.republished += this.inflight.reduce((n, b) => n + b.ids.size, 0);
        this.d.log.warn({ inflight: this.inflight.length }, 'ack timeout; resending unacked ratings');
        this.inflight = [];
        this.cursor = 0;
        this.pump();
      }
      this.armAckTimer();
    }, every);
  }
}

/**
 * A client for `mqtt://` built on our own TCP socket (MqttClient with a stream builder is mqtt.js's
 * public API): mqtt.connect loads its WebSocket, SOCKS and TLS transports on first use whatever
 * the URL, ~1.5 MB of heap that a hall device on plain MQTT never needs. Other schemes (mqtts://)
 * go through mqtt.connect unchanged.
 */
export function openClient(url: string, opts: IClientOptions): MqttClient {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:') return mqtt.connect(url, opts);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = u.port ? Number(u.port) : 1883;
  return new MqttClient(() => createConnection({ host, port }), { ...opts, protocol: 'mqtt', host, port });
}

/** Keeps a batch under the hub's payload limit (ratings with 100 case numbers are ~6 KB each). */
function fitPayload<T extends { body: string }>(rows: T[]): T[] {
  let bytes = 32;
  for (let k = 0; k < rows.length; k++) {
    bytes += Buffer.byteLength(rows[k]!.body) + 1;
    if (bytes > MAX_PAYLOAD_BYTES && k > 0) return rows.slice(0, k);
  }
  return rows;
}

function tryJson(b: Buffer): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(b.toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
