/**
 * Authentication and role checks for every route. A route declares `config: { roles: [...] }` or
 * `config: { public: true }`; a route with neither is refused (fail closed). Credentials: the
 * `hcp_session` cookie from login, or `Authorization: Bearer <login token | API token>`.
 * 401 HCP_AUTH_REQUIRED without valid credentials, 403 HCP_FORBIDDEN for the wrong role.
 */
import fp from 'fastify-plugin';
import { HcpError } from '@hcp/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Operators, Principal } from '../auth/operators.js';
import type { Role } from '../registry/schemas.js';

export const SESSION_COOKIE = 'hcp_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    roles?: readonly Role[];
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function credential(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim() || null;
  const c = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
  return c ?? null;
}

export function actorOf(req: FastifyRequest): string {
  return req.principal?.name ?? 'anonymous';
}

export const authPlugin = fp(async (app: FastifyInstance, opts: { operators: Operators }) => {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const cfg = req.routeOptions.config;
    if (!req.routeOptions.url) return; // 404s are answered by the not-found handler
    const token = credential(req);
    req.principal = token ? opts.operators.resolve(token) : null;
    if (cfg.public) return;
    if (!cfg.roles) throw new HcpError('HCP_FORBIDDEN', undefined, { message: 'route declares no roles' });
    if (!req.principal) throw new HcpError('HCP_AUTH_REQUIRED');
    if (req.principal.role !== 'admin' && !cfg.roles.includes(req.principal.role)) {
      throw new HcpError('HCP_FORBIDDEN', { role: req.principal.role, allowed: cfg.roles });
    }
  });
}, { name: 'hcp-auth', dependencies: ['@fastify/cookie'] });
