/**
 * The embedded MQTT broker (aedes) with per-device authentication and topic ACLs.
 *
 * aedes runs in a worker thread (broker-worker.ts); this class is its face on the hub's main
 * thread and keeps what needs the database here: authentication (DeviceAuth), the refusal counter
 * and logs. Why a thread: the hub's main thread commits ingest batches synchronously (SQLite,
 * fsync) and serves HTTP; sharing it with the broker meant every commit stalled the hall's MQTT
 * traffic and the broker's per-packet work competed with ingest for one core (bench/ingest.ts).
 *
 * The hub's own consumer talks to the broker in-process (subscribe/publish below, used by
 * local-link.ts) instead of over a loopback MQTT connection: that connection carried every rating
 * and every ack of the hall through one socket, one persistent session and twice the MQTT
 * encoding. With an external broker the hub still connects as a client (link.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HcpError, Rating, signRating } from '@hcp/protocol';
import type { Logger } from 'pino';
import type { DeviceAuth } from './device-auth.js';
import type { Metrics } from '../metrics.js';
import type { PreChecked } from '../inbox/inbox.js';
import { WIRE_VERSION, type FromWorker, type ToWorker, type WorkerOptions } from './broker-wire.js';

export const BROKER_CONCURRENCY = 2000;
/** See WorkerOptions.maxUnconsumed. */
const MAX_UNCONSUMED = 5000;

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
}

type Sink = (topic: string, payload: Buffer, pre?: PreChecked) => void;

/** Device signing keys (inbox/device-keys.ts). */
export interface SigningKeys {
  get(deviceId: string): { readonly key: Buffer } | undefined;
}

/** A rating with everything a signature covers (sub-scores, text, several case numbers), signed by this build. */
function probe(): WorkerOptions['probe'] {
  const key = randomBytes(32).toString('base64url');
  const rating = signRating({
    v: 1, id: '019a8f3c-5e2b-7c4d-8a1b-2c3d4e5f6a7b', hallId: 'hall-1', deviceId: 'dev-0001', windowId: 'w-01', sessionId: 's-1',
    caseNumbers: ['330100-2026-000123', '330100-2026-000124'], staffId: 'staff-007', itemCode: '330100-000-XK-001', level: 2,
    indicators: ['501', '510'], indicatorVersion: '2026.11', subScores: { '501': 2 }, text: '等候时间长，"窗口"少 \u2028',
    channel: 5, assessNumber: 1, origin: 'session', flags: [], givenAt: '2026-11-21T02:15:30.120+08:00',
    clock: { trusted: true, source: 'ntp', bootId: 'b7e1c2d4', monoMs: 3_600_120 }, seq: 42,
  }, key);
  return { rating, key, schemaHash: createHash('sha256').update(JSON.stringify(Rating)).digest('hex') };
}

/**
 * The worker as compiled JavaScript: next to this module when the hub runs from dist/; from the
 * package's dist/ when this module runs from TypeScript sources (the tests), so build first.
 */
function workerUrl(): URL {
  for (const rel of ['./broker-worker.js', '../../dist/broker/broker-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(u))) return u;
  }
  throw new Error('hub/dist/broker/broker-worker.js is missing: build the hub first (npx tsc -b hub)');
}

export class EmbeddedBroker {
  private worker: Worker | undefined;
  private readonly refused: (l?: Record<string, string>) => void;
  private readonly sinks = new Map<string, Sink>();
  private readonly subbed = new Map<string, () => void>();
  /** Client ids connected as last reported by the worker. */
  private readonly clients = new Set<string>();
  private clientCount = 0;
  private pubs: { id: number; topic: string; payload: string | Uint8Array; retain: boolean }[] = [];
  private readonly pubWaiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextPub = 0;
  private stopped: (() => void) | undefined;
  /** Token → the (device, key) the broker thread checks that connection's ratings with; the latest per device. */
  private readonly sigTokens = new Map<number, { key: Buffer }>();
  private readonly sigLatest = new Map<string, number>();
  private nextToken = 0;
  port = 0;

  constructor(
    private readonly auth: DeviceAuth,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: EmbeddedBrokerOptions,
    /** When given, the broker thread checks rating messages with these keys (see PreChecked). */
    private readonly keys?: SigningKeys,
  ) {
    this.refused = metrics.counter('hcp_hub_mqtt_refused_total', 'MQTT connects, publishes and subscribes refused by the ACL');
    metrics.gauge('hcp_hub_mqtt_clients', 'clients connected to the embedded broker', () => this.clientCount);
  }

  async start(): Promise<number> {
    const workerData: WorkerOptions = {
      host: this.opts.host, port: this.opts.port, concurrency: BROKER_CONCURRENCY, maxUnconsumed: MAX_UNCONSUMED,
      probe: probe(),
    };
    const worker = new Worker(workerUrl(), { workerData, name: 'hcp-mqtt-broker' });
    this.worker = worker;
    const ready = new Promise<number>((resolve, reject) => {
      let hello = false;
      const onMessage = (m: FromWorker): void => {
        if (m.t === 'hello') {
          hello = true;
          if (m.v !== WIRE_VERSION) reject(new Error(`hub/dist/broker/broker-worker.js speaks wire version ${m.v}, this hub ${WIRE_VERSION}: rebuild (npx tsc -b hub)`));
          if (!m.vouches && this.keys) this.log.warn('the MQTT broker thread checks ratings differently from this hub (a stale build?): every rating is checked on the main thread');
        } else if (m.t === 'listening' && hello) resolve(m.port);
        else if (m.t === 'listen-error') {
          reject(m.code === 'HCP_PORT_IN_USE' ? new HcpError('HCP_PORT_IN_USE', { port: this.opts.port, what: 'MQTT' }, { message: m.message }) : new Error(m.message));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`MQTT broker thread exited (${code}) before listening`)));
    });
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    try {
      this.port = await ready;
    } catch (err) {
      this.worker = undefined;
      await worker.terminate();
      throw err;
    }
    worker.on('error', (err) => {
      // an exception in aedes took the hall's MQTT down: fail as loudly as it did on the main thread
      this.log.fatal({ err }, 'MQTT broker thread failed');
      setImmediate(() => {
        throw err;
      });
    });
    return this.port;
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'msgs': {
        const buf = Buffer.from(m.buf);
        let start = 0;
        try {
          for (let i = 0; i < m.topics.length; i++) {
            const end = m.ends[i]!;
            const token = m.tokens[i]!;
            const sig = token === 0 ? undefined : this.sigTokens.get(token);
            this.sinks.get(m.filters[i]!)?.(m.topics[i]!, buf.subarray(start, end), sig ? { sigKey: sig.key } : undefined);
            start = end;
          }
        } finally {
          // credit after the handover: while this thread is busy (a long commit), the broker
          // thread holds PUBACKs once maxUnconsumed messages wait here
          this.send({ t: 'credit', n: m.topics.length });
        }
        break;
      }
      case 'auth':
        this.auth
          .authenticate(m.username, m.password, m.clientId)
          .then((p) => {
            if (!p) this.refused({ what: 'connect' });
            const key = p?.kind === 'device' ? this.keys?.get(p.deviceId)?.key : undefined;
            let sig: { key: Uint8Array; token: number } | undefined;
            if (p?.kind === 'device' && key) {
              const token = ++this.nextToken;
              const old = this.sigLatest.get(p.deviceId);
              if (old !== undefined) this.sigTokens.delete(old); // messages of the old connection: checked here
              this.sigLatest.set(p.deviceId, token);
              this.sigTokens.set(token, { key });
              sig = { key, token };
            }
            this.send({ t: 'auth-r', id: m.id, allow: p ? this.auth.allowList(p) : null, ...(sig ? { sig } : {}) });
          })
          .catch((err: unknown) => {
            this.log.error({ err }, 'mqtt authenticate failed');
            this.send({ t: 'auth-r', id: m.id, allow: 'error' });
          });
        break;
      case 'pub-r':
        for (const id of m.ok) {
          this.pubWaiting.get(id)?.resolve();
          this.pubWaiting.delete(id);
        }
        for (const [id, msg] of m.failed) {
          this.pubWaiting.get(id)?.reject(new Error(msg));
          this.pubWaiting.delete(id);
        }
        break;
      case 'subbed':
        this.subbed.get(m.filter)?.();
        this.subbed.delete(m.filter);
        break;
      case 'refused':
        this.refused({ what: m.what });
        this.log.warn({ clientId: m.clientId, topic: m.topic }, `${m.what} refused`);
        this.send({ t: 'refused-r', id: m.id });
        break;
      case 'clients':
        for (const id of m.connected) this.clients.add(id);
        for (const id of m.gone) this.clients.delete(id);
        this.clientCount = m.count;
        break;
      case 'stopped':
        this.stopped?.();
        break;
      default:
        break;
    }
  }

  private send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  /**
   * Delivers every message matching `filter` to `sink` on this thread (no MQTT session: nothing is
   * queued for the hub while it is not subscribed, as with an external broker's clean session;
   * the embedded broker lives and dies with the hub anyway). The device's PUBACK follows the
   * handover to this thread, as it followed the hub client's receipt before: the device keeps the
   * rating in its outbox until the hub's ack. Returns the unsubscribe function.
   */
  async subscribe(filter: string, sink: Sink): Promise<() => Promise<void>> {
    if (!this.worker) throw new Error('embedded broker not started');
    this.sinks.set(filter, sink);
    await new Promise<void>((r) => {
      this.subbed.set(filter, r);
      this.send({ t: 'sub', filter });
    });
    return async () => {
      this.sinks.delete(filter);
      this.send({ t: 'unsub', filter });
    };
  }

  /**
   * Publishes as the broker itself (QoS 1); resolves once the matching subscribers were written to.
   * Publishes made in one turn of the event loop (a commit's acks) cross to the broker thread as
   * one message.
   */
  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    if (!this.worker) return Promise.reject(new Error('embedded broker not started'));
    const id = ++this.nextPub;
    if (this.pubs.length === 0) queueMicrotask(() => this.flushPubs());
    this.pubs.push({ id, topic, payload, retain });
    return new Promise<void>((resolve, reject) => this.pubWaiting.set(id, { resolve, reject }));
  }

  private flushPubs(): void {
    const items = this.pubs;
    this.pubs = [];
    if (!this.worker) {
      for (const it of items) this.pubWaiting.get(it.id)?.reject(new Error('embedded broker stopped'));
      return;
    }
    this.send({ t: 'pub', items });
  }

  /** Cuts a device off at once (decommission). Its next connect is refused by authenticate. */
  disconnect(deviceId: string): boolean {
    // asked even when this thread has not heard of the connection yet (reports come in batches)
    this.send({ t: 'disconnect', clientId: deviceId });
    return this.clients.has(deviceId);
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const done = new Promise<void>((r) => (this.stopped = r));
    this.send({ t: 'stop' });
    await Promise.race([done, new Promise((r) => worker.once('exit', r))]);
    this.worker = undefined;
    for (const [, w] of this.pubWaiting) w.reject(new Error('embedded broker stopped'));
    this.pubWaiting.clear();
    await worker.terminate();
  }
}
