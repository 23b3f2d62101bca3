/**
 * The embedded MQTT broker's thread: aedes, its sockets and the per-packet ACL checks run here, so
 * the hub's main thread (SQLite commits, HTTP, reports) never stalls the hall's MQTT traffic and
 * the two share the machine's cores. Everything that needs the database stays on the main thread:
 * authentication is asked for (`auth`) and answered with the client's topic allow-list, device
 * messages go to the hub in batches (`msgs`), acks and commands come back as `pub`.
 * This thread also checks each rating message's schema and signatures with the key the hub gave
 * the connection and marks the messages it vouches for, so the hub's thread, which commits, does
 * not have to (the hub still checks everything itself that is not vouched for).
 * See embedded.ts for the facade and broker-wire.ts for the messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { Rating, validate, verifyRating } from '@hcp/protocol';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import { listen } from './port.js';
import { WIRE_VERSION, type FromWorker, type ToWorker, type WorkerOptions } from './broker-wire.js';
import type { TopicAllow } from './device-auth.js';

const port = parentPort!;
const opts = workerData as WorkerOptions;
const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

// vouch for ratings only if this build checks them exactly as the hub's does (see WorkerOptions.probe)
const vouches = ((): boolean => {
  try {
    const { rating, key, schemaHash } = opts.probe;
    const r = rating as Rating;
    return createHash('sha256').update(JSON.stringify(Rating)).digest('hex') === schemaHash
      && validate(Rating, r).ok && verifyRating(r, key) && !verifyRating({ ...r, level: r.level === 1 ? 2 : 1 }, key);
  } catch {
    return false;
  }
})();
post({ t: 'hello', v: WIRE_VERSION, vouches });

/** The signing key the hub gave each device connection (by client id = device id). */
const sigs = new Map<string, { readonly client: Client; readonly key: Buffer; readonly token: number }>();

/** The token if every rating of this ratings message passes the schema and verifies with the connection's key, else 0. */
function vouch(packet: AedesPublishPacket, payload: Buffer): number {
  const clientId = (packet as { clientId?: string }).clientId;
  const s = clientId === undefined ? undefined : sigs.get(clientId);
  if (!s || packet.topic.split('/')[3] !== clientId) return 0;
  try {
    const m = JSON.parse(payload.toString('utf8')) as { v?: unknown; ratings?: unknown };
    if (m === null || typeof m !== 'object' || m.v !== 1 || !Array.isArray(m.ratings) || m.ratings.length === 0 || m.ratings.length > 200) return 0;
    for (const r of m.ratings) if (!validate(Rating, r).ok || !verifyRating(r as Rating, s.key)) return 0;
    return s.token;
  } catch {
    return 0;
  }
}

interface Allowed {
  readonly all: boolean;
  readonly publish: ReadonlySet<string>;
  readonly subscribe: ReadonlySet<string>;
}
const toAllowed = (a: TopicAllow): Allowed =>
  a === 'all' ? { all: true, publish: new Set(), subscribe: new Set() } : { all: false, publish: new Set(a.publish), subscribe: new Set(a.subscribe) };

const allowed = new WeakMap<Client, Allowed>();
const refusedWaiting = new Map<number, () => void>();
let nextRefused = 0;
/** Reports a refusal and answers the client once the hub has counted it. */
const refuse = (what: 'publish' | 'subscribe', client: Client, topic: string, answer: () => void): void => {
  const id = ++nextRefused;
  refusedWaiting.set(id, answer);
  post({ t: 'refused', id, what, clientId: client.id, topic });
};
const authWaiting = new Map<number, (allow: TopicAllow | null | 'error', sig?: { key: Uint8Array; token: number }) => void>();
let nextAuth = 0;

const broker = await Aedes.createBroker({
  // aedes bounds messages in flight through its emitter at 100 by default; a hall draining
  // backlogs from hundreds of devices at once needs more (measured in bench/ingest.ts)
  concurrency: opts.concurrency,
  authenticate: (client, username, password, done) => {
    const id = ++nextAuth;
    authWaiting.set(id, (allow, sig) => {
      if (allow === 'error') return done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
      if (allow === null) return done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
      allowed.set(client, toAllowed(allow));
      if (sig && vouches) sigs.set(client.id, { client, key: Buffer.from(sig.key), token: sig.token });
      done(null, true);
    });
    post({ t: 'auth', id, username, password: password?.toString('utf8'), clientId: client.id });
  },
  authorizePublish: (client, packet, done) => {
    if (!client) return done(null); // the broker's own messages ($SYS, will handling)
    const a = allowed.get(client);
    if (a && (a.all || a.publish.has(packet.topic))) return done(null);
    refuse('publish', client, packet.topic, () => done(new Error('topic forbidden')));
  },
  authorizeSubscribe: (client, sub, done) => {
    const a = allowed.get(client);
    if (a && (a.all || a.subscribe.has(sub.topic))) return done(null, sub);
    refuse('subscribe', client, sub.topic, () => done(null, null)); // SUBACK 0x80 for this filter; the connection stays up
  },
});

// --- device messages to the hub, batched per event-loop turn, with flow control ---
let topics: string[] = [];
let filters: string[] = [];
let tokens: number[] = [];
let payloads: Buffer[] = [];
let bytes = 0;
let flushScheduled = false;
/** Taken from aedes, not yet credited back by the hub. */
let unconsumed = 0;
let held: (() => void)[] = [];

const flushMsgs = (): void => {
  flushScheduled = false;
  if (topics.length === 0) return;
  const buf = new ArrayBuffer(bytes);
  const view = new Uint8Array(buf);
  const ends: number[] = [];
  let at = 0;
  for (const p of payloads) {
    view.set(p, at);
    at += p.length;
    ends.push(at);
  }
  const m: FromWorker = { t: 'msgs', topics, filters, tokens, ends, buf };
  topics = [];
  filters = [];
  tokens = [];
  payloads = [];
  bytes = 0;
  post(m, [buf]);
};

const deliverTo = (filter: string) => (packet: AedesPublishPacket, cb: () => void): void => {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  topics.push(packet.topic);
  filters.push(filter);
  tokens.push(filter.endsWith('/ratings') ? vouch(packet, payload) : 0);
  payloads.push(payload);
  bytes += payload.length;
  unconsumed++;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushMsgs);
  }
  // the PUBACK follows cb(); while the hub is behind, it waits (and aedes stops reading that client)
  if (unconsumed > opts.maxUnconsumed) held.push(cb);
  else cb();
};

// --- client connect/disconnect, reported in batches (disconnect() answers from the hub's copy) ---
let connected: string[] = [];
let gone: string[] = [];
let clientsScheduled = false;
const reportClients = (): void => {
  if (clientsScheduled) return;
  clientsScheduled = true;
  setImmediate(() => {
    clientsScheduled = false;
    post({ t: 'clients', connected, gone, count: broker.connectedClients });
    connected = [];
    gone = [];
  });
};
broker.on('client', (c) => {
  connected.push(c.id);
  reportClients();
});
broker.on('clientDisconnect', (c) => {
  if (sigs.get(c.id)?.client === c) sigs.delete(c.id); // not a newer connection that took the id over
  gone.push(c.id);
  reportClients();
});

// --- publishes from the hub, answered in batches ---
let pubOk: number[] = [];
let pubFailed: [number, string][] = [];
let pubScheduled = false;
const pubDone = (id: number, err?: Error): void => {
  if (err) pubFailed.push([id, err.message]);
  else pubOk.push(id);
  if (pubScheduled) return;
  pubScheduled = true;
  setImmediate(() => {
    pubScheduled = false;
    post({ t: 'pub-r', ok: pubOk, failed: pubFailed });
    pubOk = [];
    pubFailed = [];
  });
};

const delivers = new Map<string, ReturnType<typeof deliverTo>>();
const server = createServer({ noDelay: true }, broker.handle); // small packets (PUBACKs, acks) must not wait for Nagle

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'auth-r': {
      const w = authWaiting.get(m.id);
      authWaiting.delete(m.id);
      w?.(m.allow, m.sig);
      break;
    }
    case 'sub': {
      const d = deliverTo(m.filter);
      delivers.set(m.filter, d);
      broker.subscribe(m.filter, d, () => post({ t: 'subbed', filter: m.filter }));
      break;
    }
    case 'unsub': {
      const d = delivers.get(m.filter);
      delivers.delete(m.filter);
      if (d) broker.unsubscribe(m.filter, d, () => undefined);
      break;
    }
    case 'pub':
      for (const it of m.items) {
        const payload = typeof it.payload === 'string' ? Buffer.from(it.payload) : Buffer.from(it.payload.buffer, it.payload.byteOffset, it.payload.byteLength);
        broker.publish({ cmd: 'publish', topic: it.topic, payload, qos: 1, retain: it.retain, dup: false }, (err) => pubDone(it.id, err));
      }
      break;
    case 'refused-r': {
      const answer = refusedWaiting.get(m.id);
      refusedWaiting.delete(m.id);
      answer?.();
      break;
    }
    case 'credit':
      unconsumed -= m.n;
      if (unconsumed <= opts.maxUnconsumed && held.length) {
        const go = held;
        held = [];
        for (const cb of go) cb();
      }
      break;
    case 'disconnect': {
      const c = (broker as unknown as { clients: Record<string, (Client & { close(cb?: () => void): void }) | undefined> }).clients[m.clientId];
      c?.close();
      break;
    }
    case 'stop': {
      for (const cb of held.splice(0)) cb();
      for (const answer of refusedWaiting.values()) answer();
      refusedWaiting.clear();
      broker.close(() => server.close(() => {
        post({ t: 'stopped' });
        port.close();
      }));
      break;
    }
  }
});

try {
  const bound = await listen(
    server,
    opts.port,
    opts.host,
    'MQTT',
    `another MQTT broker may run there: use --mqtt-port 0 for a free port, or --mqtt-url mqtt://127.0.0.1:${opts.port} to use that broker`,
  );
  post({ t: 'listening', port: bound });
} catch (err) {
  const e = err as Error & { code?: string; cause?: { code?: string } };
  post({ t: 'listen-error', code: e.code === 'HCP_PORT_IN_USE' ? e.code : e.cause?.code ?? e.code, message: e.message });
  broker.close(() => port.close());
}
