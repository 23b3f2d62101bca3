/**
 * A small signed-rating publisher standing in for a device's sync loop: connects with the
 * device's credentials, publishes rating batches (QoS 1) and collects the hub's acks.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { buildTopic, signRating, uuidv7, type Ack, type Rating, type UnsignedRating } from '@hcp/protocol';

export interface DeviceCreds {
  readonly hallId: string;
  readonly deviceId: string;
  readonly windowId: string;
  readonly signingKey: string;
  readonly mqtt: { readonly url: string; readonly username: string; readonly password: string; readonly clientId: string };
}

let seq = 0;

export function makeRating(d: Pick<DeviceCreds, 'hallId' | 'deviceId' | 'windowId' | 'signingKey'>, over: Partial<UnsignedRating> = {}): Rating {
  const now = Date.now();
  const u: UnsignedRating = {
    v: 1, id: uuidv7(now, (b) => randomBytes(b.length)), hallId: d.hallId, deviceId: d.deviceId, windowId: d.windowId,
    sessionId: null, caseNumbers: ['330100-2026-000123'], staffId: 'staff-007', itemCode: '330100-000-XK-001', level: 5,
    indicators: [], indicatorVersion: null, channel: 5, assessNumber: 1, origin: 'staff-key', flags: [],
    givenAt: new Date(now).toISOString(), clock: { trusted: true, source: 'ntp', bootId: 'boot-a', monoMs: 100_000 + ++seq }, seq: ++seq, ...over,
  };
  return signRating(u, d.signingKey);
}

export class DevicePublisher {
  client!: MqttClient;
  readonly acks = new Map<string, Ack['items'][number]>();
  readonly messages: { topic: string; payload: unknown }[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly creds: DeviceCreds, private readonly url = creds.mqtt.url) {}

  async connect(opts: { subscribe?: boolean; clean?: boolean } = {}): Promise<this> {
    this.client = await mqtt.connectAsync(this.url, {
      username: this.creds.mqtt.username, password: this.creds.mqtt.password, clientId: this.creds.mqtt.clientId,
      reconnectPeriod: 0, clean: opts.clean ?? true, connectTimeout: 5000,
    });
    this.client.on('message', (topic, payload) => {
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        body = payload.toString('utf8');
      }
      this.messages.push({ topic, payload: body });
      if (topic.endsWith('/acks')) for (const it of (body as Ack).items) this.acks.set(it.id, it);
      for (const w of this.waiters.splice(0)) w();
    });
    if (opts.subscribe !== false) {
      await this.client.subscribeAsync([buildTopic(this.creds.hallId, this.creds.deviceId, 'acks'), buildTopic(this.creds.hallId, this.creds.deviceId, 'commands')], { qos: 1 });
    }
    return this;
  }

  async publishRatings(ratings: readonly Rating[]): Promise<void> {
    await this.publishRaw(buildTopic(this.creds.hallId, this.creds.deviceId, 'ratings'), JSON.stringify({ v: 1, ratings }));
  }

  async publishRaw(topic: string, payload: string | Buffer): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** Resolves when every id has an ack (or rejects after timeoutMs: a hang, not a timing assertion). */
  async waitAcks(ids: readonly string[], timeoutMs = 15_000): Promise<Ack['items'][number][]> {
    await this.waitFor(() => ids.every((id) => this.acks.has(id)), timeoutMs, `acks for ${ids.length} ratings`);
    return ids.map((id) => this.acks.get(id)!);
  }

  async waitFor(cond: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  commands(type?: string): { type: string; args: Record<string, unknown> }[] {
    return this.messages.filter((m) => m.topic.endsWith('/commands')).map((m) => m.payload as { type: string; args: Record<string, unknown> }).filter((c) => !type || c.type === type);
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
  }
}

/** Polls until cond() holds; for state that changes asynchronously (never a timing assertion). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
