/**
 * Forwarding routes (fastify plugin): backlog, status, dead letters (list / correct-and-retry /
 * discard, audited), indicator list (view / refresh / push to devices). Role checks follow the
 * hub's auth plugin: every route declares `config.roles` (hub/src/http/roles.ts).
 * Register: `app.register(forwardRoutes, { forwarder, sender, devices })`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HcpError, IndicatorList } from '@hcp/protocol';
import { actorOf } from '../http/auth.js';
import { ROLE } from '../http/roles.js';
import type { Forwarder } from './forwarder.js';
import type { IndicatorSender } from './indicators.js';
import { mapRecords, maskRecord } from './mapping.js';

export interface ForwardRoutesOptions {
  readonly forwarder: Forwarder;
  /** The hub's CommandSender, to push `indicators.set`. */
  readonly sender?: IndicatorSender;
  /** Active device ids of the hall. */
  readonly devices?: () => string[];
}

const Backlog = Type.Object({
  backlog: Type.Integer(), inFlight: Type.Integer(), oldestAgeS: Type.Integer(), delivered: Type.Integer(), deadOpen: Type.Integer(),
});
const DeadLetterView = Type.Object({
  id: Type.Integer(), seq: Type.Integer(), ratingId: Type.String(), projectNo: Type.String(), assessNumber: Type.Integer(),
  code: Type.String(), reason: Type.String(), diedAt: Type.String(), state: Type.String(), attempts: Type.Integer(),
  overrides: Type.Record(Type.String(), Type.String()),
  resolvedBy: Type.Union([Type.String(), Type.Null()]), resolvedAt: Type.Union([Type.String(), Type.Null()]), note: Type.Union([Type.String(), Type.Null()]),
  record: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], { description: 'the record as it would be sent now, personal fields left out' }),
});
const IdParam = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,15}$' }) });
const Corrections = Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$' }), Type.String({ maxLength: 500 }), { description: 'field → corrected value ("" removes an earlier correction)' });
const OPERATE = ['operator', 'manager'] as const;

export const forwardRoutes: FastifyPluginAsyncTypebox<ForwardRoutesOptions> = async (app, opts) => {
  const f = opts.forwarder;
  const tags = ['forward'];
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

  app.get('/api/forward/backlog', {
    config: { roles: ROLE.read },
    schema: { tags, summary: '转发积压 records waiting for the provincial system', response: { 200: Backlog } },
  }, async () => f.outbox.stats(f.deps.clock.now()));

  app.get('/api/forward/status', {
    config: { roles: ROLE.read },
    schema: { tags, summary: '省级好差评对接状态 profile, worker state, backlog, indicator version' },
  }, async () => {
    const s = f.status();
    return { ...s, worker: { state: s.worker.state, requests: s.worker.requests, lastError: s.worker.lastError && { ...s.worker.lastError, at: iso(s.worker.lastError.at) } } };
  });

  app.get('/api/forward/dead-letters', {
    config: { roles: [...OPERATE, 'auditor'] },
    schema: {
      tags, summary: '死信 records the province refused for good',
      querystring: Type.Object({
        state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('retried'), Type.Literal('discarded')])),
        limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
        beforeId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Array(DeadLetterView) },
    },
  }, async (req) => {
    const list = f.outbox.deadLetters({ state: req.query.state, limit: Math.min(500, Number(req.query.limit ?? 100)), beforeId: req.query.beforeId ? Number(req.query.beforeId) : undefined });
    return list.map((d) => {
      const row = f.outbox.row(d.seq);
      let record: Record<string, string> | null = null;
      try {
        // preview without applicant data: nothing personal is decrypted for a view
        record = row ? maskRecord(mapRecords(row.source, row.context, null, f.deps.profile, [row.projectNo], row.overrides)[0]!) : null;
      } catch {
        record = null;
      }
      return { ...d, diedAt: iso(d.diedMs)!, resolvedAt: iso(d.resolvedMs), record };
    });
  });

  app.post('/api/forward/dead-letters/:id/retry', {
    config: { roles: OPERATE },
    schema: {
      tags, summary: '更正后重发 correct fields and send again (audited)', params: IdParam,
      body: Type.Object({ corrections: Type.Optional(Corrections), note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
    },
  }, async (req) => {
    const d = f.outbox.retryDead(Number(req.params.id), actorOf(req), f.deps.audit, f.deps.clock.now(), req.body.corrections ?? {}, req.body.note);
    f.worker.wake();
    return { id: d.id, state: d.state, overrides: d.overrides };
  });

  app.post('/api/forward/dead-letters/:id/discard', {
    config: { roles: OPERATE },
    schema: {
      tags, summary: '放弃 give up on a record; it stays on file (audited)', params: IdParam,
      body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
    },
  }, async (req) => {
    const d = f.outbox.discardDead(Number(req.params.id), actorOf(req), f.deps.audit, f.deps.clock.now(), req.body.note);
    return { id: d.id, state: d.state };
  });

  app.get('/api/forward/indicators', {
    config: { roles: ROLE.read },
    schema: { tags, summary: '差评指标 the current indicator list and every version held' },
  }, async () => ({ current: f.indicators.current(), versions: f.indicators.versions().map((v) => ({ ...v, fetchedAt: iso(v.fetchedMs) })) }));

  app.post('/api/forward/indicators/refresh', {
    config: { roles: ROLE.manage },
    schema: { tags, summary: '从省级系统或文件获取指标 fetch the indicator list now' },
  }, async (req) => {
    const r = await f.indicators.refresh();
    f.deps.audit.record(actorOf(req), 'forward.indicators.refresh', null, r);
    return r;
  });

  app.post('/api/forward/indicators/push', {
    config: { roles: [...ROLE.manage, 'technician'] },
    schema: { tags, summary: '下发指标到评价器 push the current list to every active device (indicators.set)' },
  }, async (req) => {
    if (!opts.sender || !opts.devices) throw new HcpError('HCP_UNAVAILABLE', { what: 'device commands' });
    const current = f.indicators.current();
    if (!current) throw new HcpError('HCP_NOT_FOUND', { what: 'indicator list' });
    const r = await f.pushIndicators(opts.sender, opts.devices());
    f.deps.audit.record(actorOf(req), 'forward.indicators.push', null, { version: current.version, ...r });
    return { version: current.version, ...r };
  });

  app.put('/api/forward/indicators', {
    config: { roles: ROLE.manage },
    schema: { tags, summary: '手工录入指标 store a list by hand (when the province offers none)', body: IndicatorList },
  }, async (req) => {
    const added = f.indicators.store(req.body, `manual:${actorOf(req)}`);
    f.deps.audit.record(actorOf(req), 'forward.indicators.store', null, { version: req.body.version, added });
    return { version: req.body.version, added };
  });
};
