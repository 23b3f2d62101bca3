/** Sessions API for business / queue systems (API token, role business). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HcpError, SessionOpenRequest, SessionOutcome, SessionView, WINDOW_ID_PATTERN } from '@hcp/protocol';
import type { Services } from '../services.js';
import { actorOf } from '../http/auth.js';
import { ROLE } from '../http/roles.js';
import { baseUrl } from './provisioning.js';

const SessionId = Type.Object({ id: Type.String({ pattern: '^s-[0-9a-f-]{36}$' }) });

export const sessionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  const tags = ['sessions'];
  app.post('/api/sessions', {
    config: { roles: ROLE.sessionsWrite },
    schema: { tags, summary: '开启评价会话 open a session on a window and push it to its device', body: SessionOpenRequest, response: { 201: SessionView } },
  }, async (req, reply) => reply.status(201).send(await s.sessions.open(req.body, actorOf(req), baseUrl(s, req))));

  app.get('/api/sessions/:id', {
    config: { roles: ROLE.sessionsRead },
    schema: { tags, summary: 'a session and its outcome (applicant masked)', params: SessionId, response: { 200: SessionView } },
  }, async (req) => {
    const v = s.sessions.get(req.params.id);
    if (!v) throw new HcpError('HCP_NOT_FOUND', { sessionId: req.params.id });
    return v;
  });

  app.get('/api/sessions', {
    config: { roles: ROLE.sessionsRead },
    schema: {
      tags,
      querystring: Type.Object({
        windowId: Type.Optional(Type.String({ pattern: WINDOW_ID_PATTERN })), outcome: Type.Optional(SessionOutcome),
        limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Array(SessionView) },
    },
  }, async (req) => s.sessions.list({ windowId: req.query.windowId, outcome: req.query.outcome, limit: Math.min(1000, Number(req.query.limit ?? 100)) }));

  app.post('/api/sessions/:id/cancel', {
    config: { roles: ROLE.sessionsWrite },
    schema: {
      tags, summary: 'cancel a pending session', params: SessionId,
      body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false })),
      response: { 200: SessionView },
    },
  }, async (req) => s.sessions.cancel(req.params.id, actorOf(req), req.body?.reason));
};
