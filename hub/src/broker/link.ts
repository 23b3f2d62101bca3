/**
 * The hub's own MQTT client: subscribes to every device publish-kind and publishes commands and
 * acks (QoS 1). Used the same way with the embedded broker and an external one.
 *
 * Incoming messages go straight to the inbox, which commits them before any ack goes to a device;
 * the device's outbox is the source of truth, so the hub's PUBACK to the broker may precede the
 * commit without risking loss (an unacked rating is re-sent by the device).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { DEVICE_PUBLISHES, hallFilter } from '@hcp/protocol';
import type { HubSecrets } from '../secrets.js';
import type { PreChecked } from '../inbox/inbox.js';

/** `pre`: what the embedded broker's thread already checked (never set by this MQTT client). */
export type MessageSink = (topic: string, payload: Buffer, pre?: PreChecked) => void;

export class HubLink {
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    /** The hub serves one hall and subscribes to that hall's topics only (a shared broker may carry others). */
    private readonly hallId: string,
    private readonly creds: HubSecrets['mqtt'],
    private readonly sink: MessageSink,
    private readonly log: Logger,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, {
      username: this.creds.username,
      password: this.creds.password,
      clientId: this.creds.clientId,
      clean: false, // an external broker keeps our subscription's messages while the hub restarts
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.client = client;
    // acks are small writes answered by small reads: without this, Nagle + delayed ACK add ~40 ms each
    const noDelay = (): void => (client.stream as { setNoDelay?: (v: boolean) => void } | undefined)?.setNoDelay?.(true) as void;
    noDelay();
    client.on('connect', noDelay);
    client.on('message', (topic, payload) => this.sink(topic, payload));
    client.on('error', (err) => this.log.warn({ err }, 'hub mqtt client error'));
    client.on('offline', () => this.log.warn('hub mqtt client offline'));
    client.on('connect', () => this.log.info('hub mqtt client connected'));
    const filters = Object.fromEntries(DEVICE_PUBLISHES.map((k) => [hallFilter(this.hallId, k), { qos: 1 as const }]));
    const granted = await client.subscribeAsync(filters);
    const bad = granted.filter((g) => g.qos === 128);
    if (bad.length) throw new Error(`broker refused the hub's subscriptions: ${bad.map((g) => g.topic).join(', ')}`);
  }

  async publish(topic: string, payload: string | Buffer, opts: { retain?: boolean } = {}): Promise<void> {
    if (!this.client) throw new Error('hub mqtt client not started');
    await this.client.publishAsync(topic, payload, { qos: 1, retain: opts.retain ?? false });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync();
  }
}
