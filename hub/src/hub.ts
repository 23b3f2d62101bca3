/**
 * The composition root: config → database → broker → the hub's MQTT client → inbox → HTTP.
 * Constructors only assign; start() brings the parts up in order and stop() takes them down in
 * reverse so nothing is lost: stop accepting HTTP, stop the timers, commit what the inbox holds
 * and send its acks, then close the MQTT client, the broker and the database.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toAnswer } from './http/errors.js';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import pino, { type Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HubConfig } from './config.js';
import { systemClock, type Clock } from './clock.js';
import { migrate, openDb, type Db } from './db/db.js';
import { Metrics } from './metrics.js';
import { AuditLog } from './audit.js';
import { DataCrypto, watchKeyRing } from './crypto/data-key.js';
import { loadSecrets, type HubSecrets } from './secrets.js';
import { DeviceAuth } from './broker/device-auth.js';
import { EmbeddedBroker } from './broker/embedded.js';
import { HubLink, type MessageSink } from './broker/link.js';
import { LocalLink } from './broker/local-link.js';
import { CommandSender } from './broker/commands.js';
import { writeMosquittoFiles } from './broker/mosquitto.js';
import { DeviceInbox } from './inbox/inbox.js';
import { Ingest, type IngestHook } from './inbox/ingest.js';
import { DeviceKeys } from './inbox/device-keys.js';
import { ClockCorrector, type CorrectionListener } from './inbox/clock-correction.js';
import { EventBus } from './events/bus.js';
import { WebhookOutbox } from './events/webhook.js';
import { Alerts } from './health/alerts.js';
import { DeviceSettingsStore } from './health/device-settings.js';
import { Health } from './health/health.js';
import { Sessions } from './sessions/sessions.js';
import { Registry } from './registry/registry.js';
import { Provisioning } from './registry/provisioning.js';
import { Operators } from './auth/operators.js';
import { MobileExtension } from './mobile/extension.js';
import { MisuseExtension } from './misuse/extension.js';
import { PrivacyExtension } from './privacy/extension.js';
import { Cases } from './cases/cases.js';
import { WorkingCalendar } from './forward/calendar.js';
import type { Services } from './services.js';
import app from './app.js';
import { HcpError } from '@hcp/protocol';

/**
 * A component plugged into the hub by whoever composes the process (e.g. the forwarder), so the
 * hub's composition root needs no knowledge of it. Obligations:
 * - attach(hub) runs once the hub's services exist and before HTTP listens: register ingest hooks
 *   (hub.onRatingStored) and HTTP route plugins (hub.registerHttp) here; no I/O that must be undone;
 * - start() runs after the hub listens; stop() runs before the inbox drains and the database
 *   closes, in reverse order of the extensions; both may be async and must not throw on a second call.
 */
export interface HubExtension {
  readonly name: string;
  attach(hub: Hub): void | Promise<void>;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export interface HubDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly extensions?: readonly HubExtension[];
  /** Working-day calendar for 差评 deadlines. Default: the bundled China calendar (hub/data/calendar/cn.json). */
  readonly calendar?: WorkingCalendar;
}

export interface HubAddresses {
  readonly httpPort: number;
  readonly httpUrl: string;
  /** The broker the hub uses (embedded or external). */
  readonly mqttUrl: string;
  /** The embedded broker's port, or null with an external broker. */
  readonly mqttPort: number | null;
}

export class Hub {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics = new Metrics();
  db!: Db;
  http!: FastifyInstance;
  ingest!: Ingest;
  inbox!: DeviceInbox;
  health!: Health;
  services!: Services;
  secrets!: HubSecrets;
  private broker: EmbeddedBroker | undefined;
  private link!: HubLink | LocalLink;
  private webhook!: WebhookOutbox;
  private cases: Cases | undefined;
  private addresses: HubAddresses | undefined;
  private readonly pendingHooks: IngestHook[] = [];
  private readonly pendingCorrectionListeners: CorrectionListener[] = [];
  private corrector: ClockCorrector | undefined;
  private readonly httpPlugins: { plugin: FastifyPluginAsync<never>; opts: unknown }[] = [];
  private startedExtensions: HubExtension[] = [];

  /** Parts of the hub core built on the extension API (attached before the process's own extensions). */
  readonly builtIn: { readonly mobile: MobileExtension; readonly misuse: MisuseExtension; readonly privacy: PrivacyExtension };

  constructor(readonly config: HubConfig, private readonly deps: HubDeps = {}) {
    this.builtIn = { mobile: new MobileExtension(deps.calendar), misuse: new MisuseExtension(deps.calendar), privacy: new PrivacyExtension() };
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger ?? pino({ level: config.logLevel, base: { svc: 'hcp-hub' } });
  }

  /**
   * Registers an ingest hook (see IngestHook in inbox/ingest.ts) before or after start().
   * The forwarder uses this to fill its outbox in the same transaction as the rating.
   */
  onRatingStored(hook: IngestHook): () => void {
    if (this.ingest) return this.ingest.onStored(hook);
    this.pendingHooks.push(hook);
    return () => {
      const i = this.pendingHooks.indexOf(hook);
      if (i >= 0) this.pendingHooks.splice(i, 1);
    };
  }

  /**
   * Registers a listener run inside the transaction that corrects the time of already-stored
   * ratings made with an untrusted clock (see inbox/clock-correction.ts). Before or after start().
   */
  onRatingsCorrected(l: CorrectionListener): () => void {
    if (this.corrector) return this.corrector.onCorrected(l);
    this.pendingCorrectionListeners.push(l);
    return () => {
      const i = this.pendingCorrectionListeners.indexOf(l);
      if (i >= 0) this.pendingCorrectionListeners.splice(i, 1);
    };
  }

  /** Adds a fastify plugin to the HTTP app (call from HubExtension.attach). Its routes must declare roles. */
  registerHttp<O extends Record<string, unknown>>(plugin: FastifyPluginAsync<O>, opts: O): void {
    this.httpPlugins.push({ plugin: plugin as FastifyPluginAsync<never>, opts });
  }

  get mqttUrl(): string {
    return this.config.mqttUrl ?? `mqtt://127.0.0.1:${this.broker?.port ?? this.config.mqttPort}`;
  }

  async start(): Promise<HubAddresses> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true, mode: 0o700 });
    this.db = openDb(join(c.dataDir, 'hub.db'));
    const applied = await migrate(this.db);
    if (applied.length) this.log.info({ applied }, 'database migrated');
    // watched: a running hub follows `hcp-hub rotate-key` (new values under the new key, re-encrypted ones readable)
    const keyRing = watchKeyRing(c.dataDir, this.deps.env ?? process.env);
    const crypto = new DataCrypto(keyRing(), keyRing);
    this.secrets = loadSecrets(c.dataDir);
    const audit = new AuditLog(this.db, this.clock);
    const registry = new Registry(this.db, this.clock, audit);
    registry.ensureHall(c.hallId, c.hallName);

    const deviceAuth = new DeviceAuth(this.db, this.secrets.mqtt);
    const keys = new DeviceKeys(this.db, crypto);
    if (!c.mqttUrl) {
      this.broker = new EmbeddedBroker(deviceAuth, this.log.child({ part: 'broker' }), this.metrics, { host: c.mqttHost, port: c.mqttPort }, keys);
      await this.broker.start();
    }
    this.inbox = new DeviceInbox(this.db, this.clock, this.log.child({ part: 'inbox' }), this.metrics);
    // embedded broker: in-process link (the loopback MQTT client was the ingest bottleneck, broker/local-link.ts)
    const sink: MessageSink = (t, p, pre) => this.inbox.push(t, p, pre);
    this.link = this.broker
      ? new LocalLink(this.broker, c.hallId, sink)
      : new HubLink(this.mqttUrl, c.hallId, this.secrets.mqtt, sink, this.log.child({ part: 'mqtt' }));
    const commands = new CommandSender(this.link, this.clock);
    const corrector = new ClockCorrector(this.db);
    this.corrector = corrector;
    for (const l of this.pendingCorrectionListeners.splice(0)) corrector.onCorrected(l);
    const bus = new EventBus(this.log);
    this.webhook = new WebhookOutbox(this.db, this.clock, this.log.child({ part: 'webhook' }), this.metrics, { url: c.webhookUrl });
    const alerts = new Alerts(this.db, bus, this.webhook);
    const deviceSettings = new DeviceSettingsStore(this.db);
    this.health = new Health(this.db, this.clock, this.log.child({ part: 'health' }), this.metrics, alerts, bus, commands, deviceSettings, corrector, c);
    const sessions = new Sessions(this.db, this.clock, crypto, audit, commands, bus, this.webhook, this.log.child({ part: 'sessions' }), {
      sessionTtlS: c.sessionTtlS, linkKey: this.secrets.linkKey, hallId: c.hallId,
    });
    this.ingest = new Ingest(keys, corrector, this.link, this.log.child({ part: 'ingest' }), this.metrics);
    this.ingest.onStored(sessions.onRating);
    // every 差评 opens its case in the transaction that stores the rating
    const cases = new Cases({
      db: this.db, clock: this.clock, log: this.log.child({ part: 'cases' }), metrics: this.metrics, audit, bus, webhook: this.webhook,
      calendar: this.deps.calendar ?? WorkingCalendar.china(), applicant: (id) => sessions.get(id)?.applicant, options: c.cases,
    });
    this.cases = cases;
    this.ingest.onStored(cases.onRating);
    for (const h of this.pendingHooks.splice(0)) this.ingest.onStored(h);
    this.health.addPeriodic(sessions.expire);
    this.inbox.handle('ratings', this.ingest.handle);
    this.inbox.handle('status', this.health.onStatus);
    this.inbox.handle('telemetry', this.health.onTelemetry);
    this.inbox.handle('events', sessions.onDeviceEvent);
    const results = this.metrics.counter('hcp_hub_command_results_total', 'command results from devices by type and ok');
    this.inbox.handle('results', (_ctx, a, payload) => {
      try {
        const r = JSON.parse(payload.toString('utf8')) as { type?: unknown; ok?: unknown; code?: unknown };
        results({ type: String(r.type ?? 'unknown').slice(0, 32), ok: String(r.ok === true) });
        if (r.ok !== true) this.log.warn({ deviceId: a.deviceId, type: r.type, code: r.code }, 'device refused a command');
      } catch {
        results({ type: 'malformed', ok: 'false' });
      }
    });
    const provisioning = new Provisioning(this.db, this.clock, audit, crypto, keys, commands, deviceSettings,
      { disconnect: (id) => this.broker?.disconnect(id) ?? false }, this.log.child({ part: 'provisioning' }), {
        hallId: c.hallId, claimCodeTtlS: c.claimCodeTtlS,
        ...(c.mosquittoDir ? { onCredentialsChanged: () => writeMosquittoFiles(this.db, this.secrets.mqtt, c.hallId, c.mosquittoDir!) } : {}),
      });
    const operators = new Operators(this.db, this.clock, audit);

    if (c.mosquittoDir) writeMosquittoFiles(this.db, this.secrets.mqtt, c.hallId, c.mosquittoDir);
    await this.link.start();

    this.services = {
      config: c, db: this.db, clock: this.clock, log: this.log, metrics: this.metrics, audit, operators, registry, provisioning, sessions, bus, alerts, cases,
      deviceAuth, deviceSettings, commands,
      mqttPublicUrl: () => c.publicMqttUrl ?? this.mqttUrl,
      ready: () => ({ db: this.db.open, mqtt: this.link.connected }),
    };
    for (const e of this.allExtensions()) await e.attach(this);
    this.http = this.buildHttp();
    await this.http.ready();
    const httpPort = await this.listenHttp();
    this.health.start();
    this.webhook.start();
    cases.start();
    for (const e of this.allExtensions()) {
      await e.start?.();
      this.startedExtensions.push(e);
    }
    this.addresses = {
      httpPort,
      httpUrl: `http://${c.httpHost === '0.0.0.0' ? '127.0.0.1' : c.httpHost}:${httpPort}`,
      mqttUrl: this.mqttUrl,
      mqttPort: this.broker ? this.broker.port : null,
    };
    // the machine-readable line `npm start` and tests parse
    this.log.info({ event: 'hub.listening', ...this.addresses, dataDir: c.dataDir, hallId: c.hallId }, 'hub listening');
    return this.addresses;
  }

  private allExtensions(): HubExtension[] {
    return [this.builtIn.mobile, this.builtIn.misuse, this.builtIn.privacy, ...(this.deps.extensions ?? [])];
  }

  private async listenHttp(): Promise<number> {
    const { httpPort: port, httpHost: host } = this.config;
    try {
      await this.http.listen({ port, host });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw new HcpError('HCP_PORT_IN_USE', { port, what: 'HTTP' }, { cause: err, message: `HTTP port ${port} is ${code === 'EACCES' ? 'not allowed' : 'in use'}: use --http-port to pick another, or --http-port 0 for a free one` });
      }
      throw err;
    }
    const a = this.http.server.address();
    return typeof a === 'object' && a ? a.port : port;
  }

  /** The HTTP app without listening (tests use inject()). */
  buildHttp(): FastifyInstance {
    const f = Fastify({
      loggerInstance: this.log.child({ part: 'http' }), bodyLimit: 1024 * 1024, trustProxy: false,
      // rate-link tokens (/m/r/<token>, sessions/rate-link.ts) are ~130 characters; fastify's default is 100
      routerOptions: { maxParamLength: 512 },
      // Errors fastify answers before routing (bad %-escapes, bad content-type headers) get catalog codes too.
      frameworkErrors: (err, _req, reply) => {
        const a = toAnswer(err);
        void (reply as FastifyReply).status(a.status).send(a.body);
      },
    }).withTypeProvider<TypeBoxTypeProvider>();
    void f.register(app, { services: this.services, hubMqttUsername: this.secrets.mqtt.username, extraRoutes: this.httpPlugins });
    return f as unknown as FastifyInstance;
  }

  async stop(): Promise<void> {
    this.log.info('hub stopping');
    if (this.http) await this.http.close().catch((err: unknown) => this.log.warn({ err }, 'http close failed'));
    this.health?.stop();
    this.cases?.stop();
    for (const e of this.startedExtensions.splice(0).reverse()) {
      await Promise.resolve(e.stop?.()).catch((err: unknown) => this.log.warn({ err, extension: e.name }, 'extension stop failed'));
    }
    await this.webhook?.stop();
    if (this.inbox) await this.inbox.stop(); // commit the queue, send its acks
    await this.link?.stop().catch((err: unknown) => this.log.warn({ err }, 'mqtt client close failed'));
    await this.broker?.stop();
    if (this.db?.open) this.db.close();
    this.log.info('hub stopped');
  }
}

/** Starts a whole hub (used by `npm start` and the CLI). */
export async function startHub(config: HubConfig, deps: HubDeps = {}): Promise<HubAddresses & { hub: Hub; stop: () => Promise<void> }> {
  const hub = new Hub(config, deps);
  try {
    const a = await hub.start();
    return { ...a, hub, stop: () => hub.stop() };
  } catch (err) {
    await hub.stop().catch(() => undefined);
    throw err;
  }
}
