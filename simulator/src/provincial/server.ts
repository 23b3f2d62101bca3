/**
 * ProvincialSimulator: a provincial 好差评 system for tests, benchmarks and demos. It speaks the
 * `generic` or the `signed-envelope` profile of docs/provincial-generic.md, validates records like
 * a province, stores what it accepts in its own SQLite file (unique by projectNo + assessNumber),
 * serves audit counts and injects faults on demand. Time and randomness are injected.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { IndicatorList, validate, type FieldError } from '@hcp/protocol';
import { seededRandom, type Random } from '../business/random.js';
import { openEnvelope } from './envelope.js';
import {
  FaultPatch, FaultSettings, NO_FAULTS, StartOutage, outageAt, outageOnRequest, scheduleOutage, type OutageMode, type OutageState,
} from './faults.js';
import { DEFAULT_INDICATORS } from './indicators.js';
import { checkRecord } from './record.js';
import { ProvincialStore, type RecordResult, type RequestCounter, type StoreCounts, type StoredRecord } from './store.js';

export type ProvincialProfile = 'generic' | 'signed-envelope';
export const PROFILES: readonly ProvincialProfile[] = ['generic', 'signed-envelope'];

export interface ProvincialOptions {
  /** SQLite file of the simulator (created if missing). */
  readonly dataFile: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly profile?: ProvincialProfile;
  readonly appId?: string;
  readonly appSecret?: string;
  /** Most records in one request (default 1000). */
  readonly maxBatch?: number;
  /** Largest request body in bytes (default 8 MiB). */
  readonly bodyLimit?: number;
  /** When set, every record must carry this `dataSource`. */
  readonly dataSource?: string;
  /** Accept a 追加 (assessNumber 2) without a stored first rating. */
  readonly allowOrphanFollowUp?: boolean;
  /** Published at start when the file holds no list or an older version. */
  readonly indicators?: IndicatorList;
  readonly faults?: FaultPatch;
  /** Epoch ms; default Date.now. */
  readonly clock?: () => number;
  /** Default: a PRNG seeded with 1. */
  readonly random?: Random;
  readonly logger?: Logger;
}

export interface ProvincialCounts extends StoreCounts {
  readonly profile: ProvincialProfile;
  readonly indicatorVersion: string;
}

type BatchOutcome =
  | { readonly kind: 'bad'; readonly code: 'E_BODY' | 'E_BATCH_SIZE'; readonly message: string }
  | { readonly kind: 'done'; readonly results: RecordResult[] };

/** A province's answer to a whole request, independent of the profile's wire form. */
interface Answer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly data?: unknown;
}

export class ProvincialSimulator {
  private app: FastifyInstance | null = null;
  private store: ProvincialStore | null = null;
  private settings: FaultSettings = NO_FAULTS;
  private outage: OutageState = { kind: 'none' };
  private readonly hung = new Set<Socket>();
  private sweep: NodeJS.Timeout | null = null;
  private boundUrl = '';

  private readonly randomFn: Random;

  constructor(private readonly opts: ProvincialOptions) {
    this.randomFn = opts.random ?? seededRandom(1);
  }

  get profile(): ProvincialProfile {
    return this.opts.profile ?? 'generic';
  }

  /** `http://host:port` once started. */
  get url(): string {
    if (!this.boundUrl) throw new Error('provincial simulator is not started');
    return this.boundUrl;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  async start(): Promise<void> {
    if (this.store) throw new Error('provincial simulator already started');
    const store = new ProvincialStore(this.opts.dataFile);
    store.open();
    this.store = store;
    const wanted = this.opts.indicators ?? DEFAULT_INDICATORS;
    const current = store.indicators();
    if (!current || (this.opts.indicators && current.version !== wanted.version)) store.publishIndicators(wanted, new Date(this.now()).toISOString());
    this.setFaults(this.opts.faults ?? {});

    const app = Fastify({ logger: false, bodyLimit: this.opts.bodyLimit ?? 8 * 1024 * 1024, forceCloseConnections: true });
    this.routes(app);
    const address = await app.listen({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port ?? 0 });
    this.app = app;
    this.boundUrl = address.replace('[::1]', '127.0.0.1');
    // Ends `hang` outages on time even when no request arrives to notice it.
    this.sweep = setInterval(() => this.cutHungIfOver(), 200);
    this.sweep.unref();
    this.opts.logger?.info({ url: this.boundUrl, profile: this.profile, dataFile: this.opts.dataFile }, 'provincial simulator listening');
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    for (const s of this.hung) s.destroy();
    this.hung.clear();
    await this.app?.close();
    this.app = null;
    this.store?.close();
    this.store = null;
    this.boundUrl = '';
  }

  private get db(): ProvincialStore {
    if (!this.store) throw new Error('provincial simulator is not started');
    return this.store;
  }

  // ---- in-process controls (the /sim routes call the same methods) -------------------------

  faults(): { settings: FaultSettings; outage: OutageState } {
    this.cutHungIfOver();
    return { settings: this.settings, outage: outageAt(this.outage, this.now()) };
  }

  /** Merges a partial fault setting; throws RangeError listing the field errors when invalid. */
  setFaults(patch: FaultPatch): FaultSettings {
    const p = validate(FaultPatch, patch);
    if (!p.ok) throw new FaultSettingsError(p.errors);
    const next = { ...this.settings, ...p.value };
    const full = validate(FaultSettings, next);
    if (!full.ok) throw new FaultSettingsError(full.errors);
    this.settings = full.value;
    if ('outageAfter' in p.value || 'outageForS' in p.value || 'outageMode' in p.value) this.outage = scheduleOutage(this.settings);
    return this.settings;
  }

  startOutage(forSeconds: number, mode: OutageMode = this.settings.outageMode): void {
    this.outage = { kind: 'active', untilMs: this.now() + forSeconds * 1000, mode };
  }

  endOutage(): void {
    if (this.outage.kind === 'active' || this.outage.kind === 'scheduled') this.outage = { kind: 'over', endedMs: this.now() };
    this.cutHungIfOver();
  }

  counts(): ProvincialCounts {
    return { profile: this.profile, ...this.db.counts(), indicatorVersion: this.indicators().version };
  }

  records(opts?: { projectNo?: string; limit?: number; offset?: number }): StoredRecord[] {
    return this.db.records(opts);
  }

  record(projectNo: string, assessNumber: string): StoredRecord | null {
    return this.db.record(projectNo, assessNumber);
  }

  indicators(): IndicatorList {
    return this.db.indicators() ?? DEFAULT_INDICATORS;
  }

  /** Publishes a new indicator list version; false when the version exists already. */
  publishIndicators(list: IndicatorList): boolean {
    return this.db.publishIndicators(list, new Date(this.now()).toISOString());
  }

  /** Deletes stored records, rejections and counters (indicator versions stay). */
  reset(): void {
    this.db.reset();
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private count(name: RequestCounter): void {
    this.db.count(name);
  }

  private cutHungIfOver(): void {
    const s = outageAt(this.outage, this.now());
    if (s.kind !== 'active') {
      this.outage = s;
      for (const sock of this.hung) sock.destroy();
      this.hung.clear();
    }
  }

  private chance(p: number): boolean {
    return p > 0 && this.randomFn() < p;
  }

  /** Ends a request without any answer (a dropped connection). */
  private drop(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    reply.hijack();
    request.raw.socket.destroy();
    return reply;
  }

  /**
   * Faults that hit a request before it is read: outage, latency, failure. Returns true when the
   * request was answered (or cut) here.
   */
  private async gate(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    this.count('total');
    const { next, mode } = outageOnRequest(this.outage, this.now());
    this.outage = next;
    if (mode !== null) {
      this.count('outage');
      if (mode === 'refuse') {
        const retry = next.kind === 'active' ? Math.max(1, Math.ceil((next.untilMs - this.now()) / 1000)) : 1;
        await reply.code(503).header('retry-after', String(retry)).send({ code: 'E_UNAVAILABLE', message: '系统维护中，请稍后重试' });
      } else if (mode === 'reset') {
        this.drop(request, reply);
      } else {
        reply.hijack();
        this.hung.add(request.raw.socket);
      }
      return true;
    }
    const s = this.settings;
    const delay = s.latencyMs + (s.jitterMs > 0 ? Math.floor(this.randomFn() * (s.jitterMs + 1)) : 0);
    if (delay > 0) {
      this.count('delayed');
      reply.header('x-sim-latency-ms', String(delay));
      await sleep(delay);
    }
    if (this.chance(s.failRate)) {
      this.count('failed');
      const unavailable = this.randomFn() < 0.5;
      await reply
        .code(unavailable ? 503 : 500)
        .send(unavailable ? { code: 'E_UNAVAILABLE', message: '服务暂不可用' } : { code: 'E_SERVER', message: '系统内部错误' });
      return true;
    }
    return false;
  }

  private authorized(request: FastifyRequest): boolean {
    const id = request.headers['x-app-id'];
    const secret = request.headers['x-app-secret'];
    if (typeof id !== 'string' || typeof secret !== 'string') return false;
    const want = Buffer.from(this.opts.appSecret ?? 'hcp-secret', 'utf8');
    const got = Buffer.from(secret, 'utf8');
    return id === (this.opts.appId ?? 'hcp-hall') && want.length === got.length && timingSafeEqual(want, got);
  }

  /** Validates and stores one batch body `{records:[…]}`. */
  private submit(body: unknown): BatchOutcome {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !Array.isArray((body as { records?: unknown }).records)) {
      return { kind: 'bad', code: 'E_BODY', message: '请求体须为 {"records":[...]}' };
    }
    const extra = Object.keys(body).filter((k) => k !== 'records');
    if (extra.length) return { kind: 'bad', code: 'E_BODY', message: `未知字段 ${extra[0]?.slice(0, 40)}` };
    const records = (body as { records: unknown[] }).records;
    const max = this.opts.maxBatch ?? 1000;
    if (records.length === 0 || records.length > max) return { kind: 'bad', code: 'E_BATCH_SIZE', message: `每批须有1至${max}条记录` };
    const nowMs = this.now();
    const ctx = {
      indicatorCodes: new Set(this.indicators().items.map((i) => i.code)),
      nowMs,
      dataSource: this.opts.dataSource,
    };
    const checks = records.map((r) => checkRecord(r, ctx));
    const results = this.db.submit(checks, {
      nowIso: new Date(nowMs).toISOString(),
      allowOrphanFollowUp: this.opts.allowOrphanFollowUp ?? false,
      forceDuplicate: () => this.chance(this.settings.duplicateRate),
    });
    return { kind: 'done', results };
  }

  /**
   * The evaluation flow shared by both profiles: drop before store, store, then drop or fail
   * after store. Returns null when the request was cut or already answered.
   */
  private async evaluate(body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<Answer | null> {
    this.count('evaluations');
    const s = this.settings;
    const dropping = this.chance(s.dropRate);
    const dropAfter = dropping && (s.dropWhen === 'after-store' || (s.dropWhen === 'either' && this.randomFn() < 0.5));
    if (dropping && !dropAfter) {
      this.count('droppedBeforeStore');
      this.drop(request, reply);
      return null;
    }
    const outcome = this.submit(body);
    if (outcome.kind === 'bad') {
      this.count('badRequest');
      return { status: 400, code: outcome.code, message: outcome.message };
    }
    if (dropAfter) {
      this.count('droppedAfterStore');
      this.drop(request, reply);
      return null;
    }
    if (this.chance(s.failAfterStoreRate)) {
      this.count('failedAfterStore');
      await reply.code(504).send({ code: 'E_GATEWAY_TIMEOUT', message: '网关超时' });
      return null;
    }
    const summary = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const r of outcome.results) summary[r.status]++;
    return { status: 200, code: '0', message: 'ok', data: { summary, results: outcome.results } };
  }

  private routes(app: FastifyInstance): void {
    app.setErrorHandler(async (err: { code?: string; statusCode?: number; message: string }, _request, reply) => {
      const map: Record<string, [number, string]> = {
        FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'E_MEDIA_TYPE'],
        FST_ERR_CTP_BODY_TOO_LARGE: [413, 'E_TOO_LARGE'],
      };
      const hit = err.code ? map[err.code] : undefined;
      const status = hit?.[0] ?? (err.statusCode && err.statusCode < 500 ? 400 : 500);
      const code = hit?.[1] ?? (status === 400 ? (err.code?.includes('JSON') || err instanceof SyntaxError ? 'E_JSON' : 'E_BODY') : 'E_SERVER');
      if (this.store) this.count(status < 500 ? 'badRequest' : 'failed');
      if (status >= 500) this.opts.logger?.error({ err }, 'provincial simulator internal error');
      await reply.code(status).send({ code, message: status >= 500 ? '系统内部错误' : err.message.slice(0, 200) });
      return reply;
    });
    app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ code: 'E_NOT_FOUND', message: '接口不存在' }));

    if (this.profile === 'generic') this.genericRoutes(app);
    else this.envelopeRoutes(app);
    this.controlRoutes(app);
  }

  private genericRoutes(app: FastifyInstance): void {
    app.post('/api/v1/evaluations', async (request, reply) => {
      if (await this.gate(request, reply)) return reply;
      if (!this.authorized(request)) {
        this.count('authFailed');
        return reply.code(401).send({ code: 'E_AUTH', message: '应用标识或密钥错误' });
      }
      const a = await this.evaluate(request.body, request, reply);
      if (a === null) return reply;
      if (a.status !== 200) return reply.code(a.status).send({ code: a.code, message: a.message });
      return reply.code(200).send({ code: '0', message: 'ok', ...(a.data as object) });
    });

    app.get('/api/v1/indicators', async (request, reply) => {
      if (await this.gate(request, reply)) return reply;
      this.count('indicators');
      if (!this.authorized(request)) {
        this.count('authFailed');
        return reply.code(401).send({ code: 'E_AUTH', message: '应用标识或密钥错误' });
      }
      const list = this.indicators();
      const etag = `"${list.version}"`;
      reply.header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(list);
    });
  }

  private envelopeRoutes(app: FastifyInstance): void {
    const open = (body: unknown) =>
      openEnvelope(body, { appId: this.opts.appId ?? 'hcp-hall', secret: this.opts.appSecret ?? 'hcp-secret', nowMs: this.now() });
    const answer = (reply: FastifyReply, code: string, msg: string, data: unknown = null) => reply.code(200).send({ code, msg, data });

    app.post('/gateway/evaluation/push', async (request, reply) => {
      if (await this.gate(request, reply)) return reply;
      const env = open(request.body);
      if (!env.ok) {
        this.count(env.code === 'E_SIGN' || env.code === 'E_APP_ID' ? 'authFailed' : 'badRequest');
        return answer(reply, env.code, env.msg);
      }
      const a = await this.evaluate(env.body, request, reply);
      if (a === null) return reply;
      return answer(reply, a.code, a.status === 200 ? '成功' : a.message, a.data ?? null);
    });

    app.post('/gateway/indicator/list', async (request, reply) => {
      if (await this.gate(request, reply)) return reply;
      this.count('indicators');
      const env = open(request.body);
      if (!env.ok) {
        this.count(env.code === 'E_SIGN' || env.code === 'E_APP_ID' ? 'authFailed' : 'badRequest');
        return answer(reply, env.code, env.msg);
      }
      return answer(reply, '0', '成功', this.indicators());
    });
  }

  private controlRoutes(app: FastifyInstance): void {
    const bad = (reply: FastifyReply, errors: readonly FieldError[]) => reply.code(400).send({ code: 'E_BODY', message: '参数无效', errors });
    const int = (v: unknown): number | undefined => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

    app.get('/sim/counts', async () => this.counts());
    app.get('/sim/records', async (request) => {
      const q = request.query as Record<string, unknown>;
      const projectNo = typeof q.projectNo === 'string' ? q.projectNo : undefined;
      return { items: this.db.records({ projectNo, limit: int(q.limit), offset: int(q.offset) }) };
    });
    app.get('/sim/records/:projectNo/:assessNumber', async (request, reply) => {
      const p = request.params as { projectNo: string; assessNumber: string };
      const r = this.record(p.projectNo, p.assessNumber);
      return r ?? reply.code(404).send({ code: 'E_NOT_FOUND', message: '记录不存在' });
    });
    app.get('/sim/faults', async () => this.faults());
    app.put('/sim/faults', async (request, reply) => {
      try {
        this.setFaults(request.body as FaultPatch);
      } catch (err) {
        if (err instanceof FaultSettingsError) return bad(reply, err.errors);
        throw err;
      }
      return this.faults();
    });
    app.post('/sim/outage', async (request, reply) => {
      const v = validate(StartOutage, request.body);
      if (!v.ok) return bad(reply, v.errors);
      this.startOutage(v.value.forSeconds, v.value.mode);
      return this.faults();
    });
    app.delete('/sim/outage', async () => {
      this.endOutage();
      return this.faults();
    });
    app.put('/sim/indicators', async (request, reply) => {
      const v = validate(IndicatorList, request.body);
      if (!v.ok) return bad(reply, v.errors);
      if (!this.publishIndicators(v.value)) return reply.code(409).send({ code: 'E_CONFLICT', message: '该版本已存在' });
      return this.indicators();
    });
    app.post('/sim/reset', async () => {
      this.reset();
      return this.counts();
    });
  }
}

/** Invalid fault settings, with every failing field. */
export class FaultSettingsError extends RangeError {
  constructor(readonly errors: readonly FieldError[]) {
    super(`invalid fault settings: ${errors.map((e) => `${e.field || '(root)'} ${e.rule}`).join('; ')}`);
    this.name = 'FaultSettingsError';
  }
}
