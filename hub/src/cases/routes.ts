/**
 * The 差评 case API (docs/cases.md):
 *   GET  /api/cases                  list (filters: state, overdue, windowId, staffId, from/to, appeal)
 *   GET  /api/cases/summary          counts for badges and /metrics-like views, and the deadline policy
 *   GET  /api/cases/:id              detail with step history, extensions, appeal, rating, masked applicant
 *   POST /api/cases/:id/transitions  回访 / 整改 / 办结 / 无法整改       operator, manager
 *   POST /api/cases/:id/extend       延期 with a reason                   manager
 *   POST /api/cases/:id/appeal       申诉 on behalf of the staff member   operator, manager
 *   POST /api/cases/:id/review       复核 of the appeal                   manager (not whoever filed it)
 * Every mutation carries the `version` the client read; the answer is the case detail after it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HcpError, uuidv7 } from '@hcp/protocol';
import type { Services } from '../services.js';
import type { Role } from '../registry/schemas.js';
import { actorOf } from '../http/auth.js';
import type { CaseAction } from './machine.js';
import { AppealIn, CaseDetail, CaseList, CaseParams, CaseQuery, CaseSummary, ExtendIn, ReviewIn, TransitionIn } from './schemas.js';

/**
 * Who may do what (admin passes every check). Operators (值班人员) do the follow-up work and file
 * appeals for staff, who have no login of their own; hall managers also grant extensions and
 * decide appeals (复核), as the policy gives verification to the management office. Auditors read
 * everything and decide nothing, so oversight stays separate from the decisions it oversees.
 * Technicians look after devices and see no cases.
 */
export const CASE_ROLES = {
  read: ['operator', 'manager', 'auditor'],
  work: ['operator', 'manager'],
  extend: ['manager'],
  appeal: ['operator', 'manager'],
  review: ['manager'],
} as const satisfies Record<string, readonly Role[]>;

const ERR = { 400: { $ref: 'ErrorBody#' }, 401: { $ref: 'ErrorBody#' }, 403: { $ref: 'ErrorBody#' }, 404: { $ref: 'ErrorBody#' }, 409: { $ref: 'ErrorBody#' } };

export const caseRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  const tags = ['cases'];
  const found = (id: string) => {
    const c = s.cases.get(id);
    if (!c) throw new HcpError('HCP_NOT_FOUND', { caseId: id });
    return c;
  };

  app.get('/api/cases', {
    config: { roles: CASE_ROLES.read },
    schema: { tags, summary: '差评工单列表 list cases, overdue and nearest deadline first', querystring: CaseQuery, response: { 200: CaseList, ...ERR } },
  }, async (req) => {
    const q = req.query;
    return s.cases.list({
      ...(q.state ? { state: q.state } : {}),
      ...(q.overdue ? { overdue: q.overdue === 'true' } : {}),
      ...(q.windowId ? { windowId: q.windowId } : {}),
      ...(q.staffId ? { staffId: q.staffId } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.appeal ? { appeal: q.appeal } : {}),
      limit: q.limit ? Number(q.limit) : 50,
      offset: q.offset ? Number(q.offset) : 0,
    });
  });

  app.get('/api/cases/summary', {
    config: { roles: CASE_ROLES.read },
    schema: { tags, summary: '差评工单概况 open, overdue and appeal counts, and the deadline policy', response: { 200: CaseSummary, ...ERR } },
  }, async () => {
    const p = s.cases.policy;
    return { ...s.cases.summary(), policy: { rectifyDays: p.rectifyDays, appealDays: p.appealDays, reviewDays: p.reviewDays, maxExtensions: p.maxExtensions, maxExtensionDays: p.maxExtensionDays } };
  });

  app.get('/api/cases/:id', {
    config: { roles: CASE_ROLES.read },
    schema: { tags, summary: '差评工单详情 case with its history', params: CaseParams, response: { 200: CaseDetail, ...ERR } },
  }, async (req) => found(req.params.id));

  app.post('/api/cases/:id/transitions', {
    config: { roles: CASE_ROLES.work },
    schema: { tags, summary: '回访 / 整改 / 办结 / 无法整改', params: CaseParams, body: TransitionIn, response: { 200: CaseDetail, ...ERR } },
  }, async (req) => {
    const b = req.body;
    const action: CaseAction = b.to === 'contacted' ? { type: 'contact', note: b.note }
      : b.to === 'rectifying' ? { type: 'rectify', measure: b.note }
        : b.to === 'done' ? { type: 'complete', result: b.note }
          : { type: 'close-unable', reason: b.note };
    return s.cases.act(req.params.id, b.version, action, actorOf(req));
  });

  app.post('/api/cases/:id/extend', {
    config: { roles: CASE_ROLES.extend },
    schema: { tags, summary: '延期 move the deadline by working days, with a reason', params: CaseParams, body: ExtendIn, response: { 200: CaseDetail, ...ERR } },
  }, async (req) => s.cases.act(req.params.id, req.body.version, { type: 'extend', days: req.body.days, reason: req.body.reason }, actorOf(req)));

  app.post('/api/cases/:id/appeal', {
    config: { roles: CASE_ROLES.appeal },
    schema: { tags, summary: '申诉 appeal the 差评 (mistaken or malicious) within the appeal window', params: CaseParams, body: AppealIn, response: { 200: CaseDetail, ...ERR } },
  }, async (req) => {
    const b = req.body;
    const appealId = uuidv7(s.clock.now(), (buf) => randomBytes(buf.length));
    return s.cases.act(req.params.id, b.version, { type: 'appeal', appealId, staffId: b.staffId ?? null, claim: b.claim, grounds: b.grounds }, actorOf(req));
  });

  app.post('/api/cases/:id/review', {
    config: { roles: CASE_ROLES.review },
    schema: { tags, summary: '复核 decide the pending appeal: upheld excludes the rating from statistics', params: CaseParams, body: ReviewIn, response: { 200: CaseDetail, ...ERR } },
  }, async (req) => {
    const b = req.body;
    return s.cases.act(req.params.id, b.version, { type: 'review', decision: b.decision, note: b.note, ...(b.reason ? { reason: b.reason } : {}) }, actorOf(req));
  });
};
