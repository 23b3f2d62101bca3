/**
 * The acking peer: a stand-in hub for device tests and the device benchmark. It subscribes to every
 * device's ratings on a broker, verifies each signature with the keys it was given, "stores" each
 * rating id once (in memory), and acks by id: `stored` the first time, `duplicate` after, `rejected`
 * (HCP_SIGNATURE_INVALID / HCP_DEVICE_UNKNOWN) when it cannot verify. It also records status,
 * telemetry, results and events, answers every device `online` with a time.sync, and can send commands.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type Ack, type Command, DeviceEvent, DeviceStatus, RatingBatch, Telemetry, CommandResult, buildTopic, decodeJson, parseTopic, timeSyncFor, verifyRating,
  type CommandType, type Rating,
} from '@hcp/protocol';

export interface AckPeerOptions {
  readonly url: string;
  /** deviceId → base64url signing key. */
  readonly keys: ReadonlyMap<string, string>;
  readonly username?: string;
  readonly password?: string;
  /** Send time.sync when a device reports online (as the hub does). Default true. */
  readonly timeSyncOnOnline?: boolean;
  /** Hold acks back (simulates a hub that stores but whose acks are lost). */
  readonly holdAcks?: boolean;
}

export interface AckPeerStats {
  batches: number;
  received: number;
  stored: number;
  duplicate: number;
  rejected: number;
  badPayloads: number;
}

export class AckPeer {
  private client: MqttClient | null = null;
  readonly stats: AckPeerStats = { batches: 0, received: 0, stored: 0, duplicate: 0, rejected: 0, badPayloads: 0 };
  /** Every stored rating by id, in arrival order. */
  readonly ratings = new Map<string, Rating>();
  readonly deliveries = new Map<string, number>();
  readonly statuses = new Map<string, DeviceStatus>();
  readonly telemetry: Telemetry[] = [];
  readonly results: CommandResult[] = [];
  readonly events: DeviceEvent[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  holdAcks: boolean;

  constructor(private readonly o: AckPeerOptions) {
    this.holdAcks = o.holdAcks ?? false;
  }

  async start(): Promise<void> {
    const c = mqtt.connect(this.o.url, {
      clientId: `ack-peer-${randomUUID().slice(0, 8)}`,
      username: this.o.username ?? 'ack-peer',
      password: this.o.password ?? 'ack-peer',
      clean: true,
      reconnectPeriod: 500,
    });
    this.client = c;
    c.on('message', (topic, payload) => this.onMessage(topic, payload));
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    await c.subscribeAsync(['hcp/v1/+/+/ratings', 'hcp/v1/+/+/status', 'hcp/v1/+/+/telemetry', 'hcp/v1/+/+/results', 'hcp/v1/+/+/events'], { qos: 1 });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true);
  }

  /** Resolves when `check()` holds (checked after every message), or rejects after `ms`. */
  waitFor(check: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { check, resolve: () => { clearTimeout(t); resolve(); } };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`ack peer: timed out waiting for ${what}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  async sendCommand<T extends CommandType>(hallId: string, deviceId: string, type: T, args: Extract<Command, { type: T }>['args']): Promise<string> {
    const id = randomUUID();
    const cmd = { v: 1, id, at: new Date().toISOString(), type, args };
    await this.client!.publishAsync(buildTopic(hallId, deviceId, 'commands'), JSON.stringify(cmd), { qos: 1 });
    return id;
  }

  /** Publishes raw bytes on a device's commands topic (for malformed-payload tests). */
  async sendRaw(hallId: string, deviceId: string, kind: 'commands' | 'acks', payload: string | Buffer): Promise<void> {
    await this.client!.publishAsync(buildTopic(hallId, deviceId, kind), payload, { qos: 1 });
  }

  private settle(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t.ok) return;
    const { hallId, deviceId, kind } = t.topic;
    switch (kind) {
      case 'ratings':
        this.onRatings(hallId, deviceId, payload);
        break;
      case 'status': {
        const r = decodeJson(DeviceStatus, payload);
        if (!r.ok) break;
        this.statuses.set(deviceId, r.value);
        if (r.value.state === 'online' && (this.o.timeSyncOnOnline ?? true)) {
          void this.sendCommand(hallId, deviceId, 'time.sync', timeSyncFor(r.value, Date.now())).catch(() => undefined);
        }
        break;
      }
      case 'telemetry': {
        const r = decodeJson(Telemetry, payload);
        if (r.ok) this.telemetry.push(r.value);
        else this.stats.badPayloads++;
        break;
      }
      case 'results': {
        const r = decodeJson(CommandResult, payload);
        if (r.ok) this.results.push(r.value);
        else this.stats.badPayloads++;
        break;
      }
      case 'events': {
        const r = decodeJson(DeviceEvent, payload);
        if (r.ok) this.events.push(r.value);
        else this.stats.badPayloads++;
        break;
      }
      default:
        break;
    }
    this.settle();
  }

  private onRatings(hallId: string, deviceId: string, payload: Buffer): void {
    const r = decodeJson(RatingBatch, payload);
    if (!r.ok) {
      this.stats.badPayloads++;
      return;
    }
    this.stats.batches++;
    const key = this.o.keys.get(deviceId);
    const items: Ack['items'][number][] = [];
    for (const rating of r.value.ratings) {
      this.stats.received++;
      this.deliveries.set(rating.id, (this.deliveries.get(rating.id) ?? 0) + 1);
      if (!key) {
        this.stats.rejected++;
        items.push({ id: rating.id, result: 'rejected', code: 'HCP_DEVICE_UNKNOWN' });
      } else if (rating.deviceId !== deviceId || rating.hallId !== hallId || !verifyRating(rating, key)) {
        this.stats.rejected++;
        items.push({ id: rating.id, result: 'rejected', code: 'HCP_SIGNATURE_INVALID' });
      } else if (this.ratings.has(rating.id)) {
        this.stats.duplicate++;
        items.push({ id: rating.id, result: 'duplicate' });
      } else {
        this.ratings.set(rating.id, rating);
        this.stats.stored++;
        items.push({ id: rating.id, result: 'stored' });
      }
    }
    if (!this.holdAcks && this.client) {
      const ack: Ack = { v: 1, at: new Date().toISOString(), items };
      this.client.publish(buildTopic(hallId, deviceId, 'acks'), JSON.stringify(ack), { qos: 1 });
    }
  }
}
