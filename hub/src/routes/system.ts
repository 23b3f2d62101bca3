/** GET /healthz, GET /metrics, GET /api/openapi.json. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';

export const systemRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  app.get('/healthz', {
    config: { public: true },
    schema: {
      tags: ['system'], summary: '存活与就绪 liveness and readiness',
      response: { 200: Type.Object({ status: Type.Literal('ok'), db: Type.Boolean(), mqtt: Type.Boolean() }), 503: Type.Object({ status: Type.Literal('degraded'), db: Type.Boolean(), mqtt: Type.Boolean() }) },
    },
  }, async (_req, reply) => {
    const r = s.ready();
    if (r.db && r.mqtt) return { status: 'ok' as const, ...r };
    return reply.status(503).send({ status: 'degraded' as const, ...r });
  });

  app.get('/metrics', { config: { public: true }, schema: { tags: ['system'], summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(s.metrics.render());
  });

  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
};
