/**
 * The embedded MQTT broker (aedes) with per-device authentication and topic ACLs.
 * The hub's own consumer talks to it in-process (subscribe/publish below, used by local-link.ts)
 * instead of over a loopback MQTT connection: that connection carried every rating and every ack
 * of the hall through one socket, one persistent session and twice the MQTT encoding, and was the
 * ingest bottleneck (measured in bench/ingest.ts). With an external broker the hub still connects
 * as a client (link.ts); both links offer the same three calls.
 */
import { createServer, type Server } from 'node:net';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceAuth, MqttPrincipal } from './device-auth.js';
import type { Metrics } from '../metrics.js';
import { listen } from './port.js';

export const BROKER_CONCURRENCY = 2000;

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
}

export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly principals = new WeakMap<Client, MqttPrincipal>();
  private readonly refused: (l?: Record<string, string>) => void;
  port = 0;

  constructor(
    private readonly auth: DeviceAuth,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: EmbeddedBrokerOptions,
  ) {
    this.refused = metrics.counter('hcp_hub_mqtt_refused_total', 'MQTT connects, publishes and subscribes refused by the ACL');
    metrics.gauge('hcp_hub_mqtt_clients', 'clients connected to the embedded broker', () => this.broker?.connectedClients ?? 0);
  }

  async start(): Promise<number> {
    const broker = await Aedes.createBroker({
      // aedes bounds messages in flight through its emitter at 100 by default; a hall draining
      // backlogs from hundreds of devices at once needs more (measured in bench/ingest.ts)
      concurrency: BROKER_CONCURRENCY,
      authenticate: (client, username, password, done) => {
        this.auth
          .authenticate(username, password?.toString('utf8'), client.id)
          .then((p) => {
            if (!p) {
              this.refused({ what: 'connect' });
              const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
              done(err, false);
              return;
            }
            this.principals.set(client, p);
            done(null, true);
          })
          .catch((err: unknown) => {
            this.log.error({ err }, 'mqtt authenticate failed');
            done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
          });
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the broker's own messages ($SYS, will handling)
        const p = this.principals.get(client);
        if (p && this.auth.mayPublish(p, packet.topic)) return done(null);
        this.refused({ what: 'publish' });
        this.log.warn({ clientId: client.id, topic: packet.topic }, 'publish refused');
        done(new Error('topic forbidden'));
      },
      authorizeSubscribe: (client, sub, done) => {
        const p = this.principals.get(client);
        if (p && this.auth.maySubscribe(p, sub.topic)) return done(null, sub);
        this.refused({ what: 'subscribe' });
        this.log.warn({ clientId: client.id, topic: sub.topic }, 'subscribe refused');
        done(null, null); // SUBACK 0x80 for this filter; the connection stays up
      },
    });
    this.broker = broker;
    // small MQTT packets (acks, PUBACKs) must not wait for Nagle's algorithm
    this.server = createServer({ noDelay: true }, broker.handle);
    this.port = await listen(
      this.server,
      this.opts.port,
      this.opts.host,
      'MQTT',
      `another MQTT broker may run there: use --mqtt-port 0 for a free port, or --mqtt-url mqtt://127.0.0.1:${this.opts.port} to use that broker`,
    );
    return this.port;
  }

  /**
   * Delivers every message matching `filter` to `sink`, in-process (no MQTT session: nothing is
   * queued for the hub while it is not subscribed, as with an external broker's clean session;
   * the embedded broker lives and dies with the hub anyway). The device's PUBACK follows the
   * sink's return, as it followed the hub client's receipt before: the device keeps the rating
   * in its outbox until the hub's ack. Returns the unsubscribe function.
   */
  async subscribe(filter: string, sink: (topic: string, payload: Buffer) => void): Promise<() => Promise<void>> {
    const broker = this.broker;
    if (!broker) throw new Error('embedded broker not started');
    const deliver = (packet: AedesPublishPacket, cb: () => void): void => {
      try {
        sink(packet.topic, packet.payload as Buffer);
      } finally {
        cb();
      }
    };
    await new Promise<void>((r) => broker.subscribe(filter, deliver, r));
    return () => new Promise<void>((r) => broker.unsubscribe(filter, deliver, r));
  }

  /** Publishes as the broker itself (QoS 1); resolves once the matching subscribers were written to. */
  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(new Error('embedded broker not started'));
    const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return new Promise<void>((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic, payload: p, qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Cuts a device off at once (decommission). Its next connect is refused by authenticate. */
  disconnect(deviceId: string): boolean {
    const clients = (this.broker as unknown as { clients?: Record<string, Client & { close(cb?: () => void): void }> } | undefined)?.clients;
    const c = clients?.[deviceId];
    if (!c) return false;
    c.close();
    return true;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
