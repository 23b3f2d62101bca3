/**
 * The hub's HTTP app as one root plugin (fastify/demo layout): infrastructure plugins first
 * (cookie, rate limit, OpenAPI, auth, error handling), then the route plugins. It gets every
 * collaborator through `services`; server.ts / hub.ts build it and listen.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Services } from './services.js';
import { installErrorHandling, validatorCompiler } from './http/errors.js';
import { authPlugin } from './http/auth.js';
import { systemRoutes } from './routes/system.js';
import { operatorRoutes } from './routes/operators.js';
import { registryRoutes } from './routes/registry.js';
import { provisioningRoutes } from './routes/provisioning.js';
import { sessionRoutes } from './routes/sessions.js';
import { eventRoutes } from './routes/events.js';
import { mqttHookRoutes } from './routes/mqtt-hooks.js';
import { ratingAuditRoutes } from './routes/ratings.js';
import { ErrorBody } from './registry/schemas.js';
import { dashboardPlugin } from './dashboard/plugin.js';
import { caseRoutes } from './cases/routes.js';
import { statsRoutes } from './stats/routes.js';

export interface AppOptions {
  readonly services: Services;
  readonly hubMqttUsername: string;
  /** Route plugins of hub extensions (e.g. forwarding), registered inside this scope so they share auth, errors and OpenAPI. */
  readonly extraRoutes?: readonly { plugin: FastifyPluginAsync<never>; opts: unknown }[];
}

export default async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  const services = opts.services;
  fastify.setValidatorCompiler(validatorCompiler);
  installErrorHandling(fastify);
  fastify.addSchema(ErrorBody);
  await fastify.register(cookie);
  await fastify.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error('rate limited'), { statusCode: ctx.statusCode, code: 'HCP_RATE_LIMITED' }),
  });
  await fastify.register(swagger, {
    openapi: {
      info: { title: 'hcp hub API 好差评大厅中心', version: '0.1.0', description: 'Errors are { code, message, detail? }; codes in docs/errors.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'hcp_session' } } },
      security: [{ bearer: [] }, { cookie: [] }],
    },
  });
  // swagger-ui's own routes are public documentation
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs')) route.config = { ...(route.config as object), public: true };
  });
  await fastify.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  await fastify.register(authPlugin, { operators: services.operators });
  await fastify.register(systemRoutes, { services });
  await fastify.register(operatorRoutes, { services });
  await fastify.register(registryRoutes, { services });
  await fastify.register(provisioningRoutes, { services });
  await fastify.register(sessionRoutes, { services });
  await fastify.register(eventRoutes, { services });
  await fastify.register(mqttHookRoutes, { services, hubUsername: opts.hubMqttUsername });
  await fastify.register(ratingAuditRoutes, { services });
  await fastify.register(caseRoutes, { services });
  await fastify.register(statsRoutes, { services });
  await fastify.register(dashboardPlugin, { services });
  for (const r of opts.extraRoutes ?? []) await fastify.register(r.plugin, r.opts as never);
}
