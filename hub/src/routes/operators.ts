/** Login, users, API tokens and the audit log. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HcpError } from '@hcp/protocol';
import type { Services } from '../services.js';
import { LoginRequest, TokenIn, User, UserIn } from '../registry/schemas.js';
import { actorOf, credential, SESSION_COOKIE } from '../http/auth.js';
import { ROLE } from '../http/roles.js';

export const operatorRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  app.post('/api/auth/login', {
    config: { public: true, rateLimit: { max: s.config.loginRatePerMin, timeWindow: 60_000 } },
    schema: {
      tags: ['operators'], summary: '登录 log in (sets the session cookie; the token also works as Bearer)', body: LoginRequest,
      response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String(), user: Type.Object({ name: Type.String(), role: Type.String() }) }) },
    },
  }, async (req, reply) => {
    const r = await s.operators.login(req.body.username, req.body.password);
    void reply.setCookie(SESSION_COOKIE, r.token, { httpOnly: true, sameSite: 'strict', path: '/', expires: new Date(r.expiresAt) });
    return { token: r.token, expiresAt: r.expiresAt, user: { name: r.principal.name, role: r.principal.role } };
  });

  app.post('/api/auth/logout', { config: { roles: ROLE.any }, schema: { tags: ['operators'], summary: '退出 log out', response: { 204: Type.Null() } } }, async (req, reply) => {
    const t = credential(req);
    if (t && req.principal?.kind === 'user') s.operators.logout(t, actorOf(req));
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send(null);
  });

  app.get('/api/auth/me', {
    config: { roles: ROLE.any },
    schema: { tags: ['operators'], summary: 'who am I', response: { 200: Type.Object({ kind: Type.String(), name: Type.String(), role: Type.String() }) } },
  }, async (req) => ({ kind: req.principal!.kind, name: req.principal!.name, role: req.principal!.role }));

  app.get('/api/users', { config: { roles: ROLE.admin }, schema: { tags: ['operators'], response: { 200: Type.Array(User) } } }, async () => s.operators.listUsers() as never);

  app.post('/api/users', {
    config: { roles: ROLE.admin },
    schema: { tags: ['operators'], summary: 'create an operator', body: UserIn, response: { 201: Type.Object({ id: Type.Integer(), username: Type.String(), role: Type.String() }) } },
  }, async (req, reply) => reply.status(201).send(s.operators.createUser(req.body, actorOf(req))));

  app.get('/api/tokens', { config: { roles: ROLE.admin }, schema: { tags: ['operators'], summary: 'API tokens (without secrets)' } }, async () => s.operators.listTokens());

  app.post('/api/tokens', {
    config: { roles: ROLE.admin },
    schema: {
      tags: ['operators'], summary: 'create an API token (shown once)', body: TokenIn,
      response: { 201: Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), token: Type.String() }) },
    },
  }, async (req, reply) => reply.status(201).send(s.operators.createToken(req.body.name, req.body.role, actorOf(req))));

  app.delete('/api/tokens/:id', {
    config: { roles: ROLE.admin },
    schema: { tags: ['operators'], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 204: Type.Null() } },
  }, async (req, reply) => {
    s.operators.revokeToken(req.params.id, actorOf(req));
    return reply.status(204).send(null);
  });

  app.get('/api/audit', {
    config: { roles: ROLE.audit },
    schema: {
      tags: ['operators'], summary: '审计日志 audit log, newest first',
      querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })), before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) }, { additionalProperties: false }),
    },
  }, async (req) => {
    const limit = Math.min(1000, Number(req.query.limit ?? 100));
    if (limit < 1) throw new HcpError('HCP_VALIDATION', { errors: [{ field: '/limit', rule: 'at least 1' }] });
    return s.audit.list(limit, req.query.before ? Number(req.query.before) : undefined);
  });
};
