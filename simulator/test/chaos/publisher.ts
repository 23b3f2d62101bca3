/**
 * A device's sync loop reduced to what the forwarding chaos tests need: signed ratings with one
 * case number each, published QoS 1 and re-sent until acked (as the device outbox does). A rating
 * counts as "thanked" once it is in this outbox, exactly as the real device shows "thank you" once
 * its outbox holds the rating; the test then proves every one of them reaches hub and province once.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { buildTopic, signRating, uuidv7, type Ack, type ProvisionResponse, type Rating } from '@hcp/protocol';

export class ResendingDevice {
  private client: MqttClient | null = null;
  readonly outbox = new Map<string, Rating>();
  readonly acks = new Map<string, Ack['items'][number]>();
  private seq = 0;

  constructor(private readonly creds: ProvisionResponse, private readonly caseStem: string) {}

  /** Connects (or reconnects) to a broker; acks arriving later are collected. */
  async connect(url: string): Promise<void> {
    await this.close();
    const c = await mqtt.connectAsync(url, {
      username: this.creds.mqtt.username, password: this.creds.mqtt.password, clientId: this.creds.mqtt.clientId,
      reconnectPeriod: 500, clean: true, connectTimeout: 5000,
    });
    c.on('error', () => undefined);
    c.on('message', (topic, payload) => {
      if (!topic.endsWith('/acks')) return;
      for (const it of (JSON.parse(payload.toString('utf8')) as Ack).items) {
        this.acks.set(it.id, it);
        if (it.result === 'stored' || it.result === 'duplicate') this.outbox.delete(it.id);
      }
    });
    await c.subscribeAsync(buildTopic(this.creds.hallId, this.creds.deviceId, 'acks'), { qos: 1 });
    this.client = c;
  }

  /** The citizen rates: the rating enters the outbox (the "thank you" moment) and is published. */
  rate(n: number): Rating[] {
    const out: Rating[] = [];
    for (let i = 0; i < n; i++) {
      const now = Date.now();
      this.seq++;
      const r = signRating({
        v: 1, id: uuidv7(now, (b) => randomBytes(b.length)), hallId: this.creds.hallId, deviceId: this.creds.deviceId, windowId: this.creds.windowId,
        sessionId: null, caseNumbers: [`${this.caseStem}-${String(this.seq).padStart(5, '0')}`], staffId: 'staff-007', itemCode: '330100-000-XK-001',
        level: 5, indicators: [], indicatorVersion: null, channel: 5, assessNumber: 1, origin: 'staff-key', flags: [],
        givenAt: new Date(now).toISOString(), clock: { trusted: true, source: 'ntp', bootId: 'boot-chaos', monoMs: 1000 + this.seq }, seq: this.seq,
      }, this.creds.signingKey);
      this.outbox.set(r.id, r);
      out.push(r);
    }
    this.publish(out);
    return out;
  }

  /** Re-sends everything not yet acked stored/duplicate. */
  resend(): void {
    this.publish([...this.outbox.values()]);
  }

  private publish(ratings: readonly Rating[]): void {
    const c = this.client;
    if (!c) return;
    for (let i = 0; i < ratings.length; i += 20) {
      c.publishAsync(buildTopic(this.creds.hallId, this.creds.deviceId, 'ratings'), JSON.stringify({ v: 1, ratings: ratings.slice(i, i + 20) }), { qos: 1 }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.endAsync(true).catch(() => undefined);
  }
}
