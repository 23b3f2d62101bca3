/**
 * HTTP authentication and authorization for an external broker, in the shape EMQX 5's HTTP
 * authenticator and authorizer call (see docs/brokers.md). Both answer 200 with
 * `{ result: 'allow' | 'deny' }` (authn adds `is_superuser`). The broker authenticates itself to
 * these routes with an API token of role `broker` (EMQX: `headers { Authorization = "Bearer …" }`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import type { MqttPrincipal } from '../broker/device-auth.js';
import { ROLE } from '../http/roles.js';

const AuthIn = Type.Object({
  username: Type.Optional(Type.String({ maxLength: 256 })),
  password: Type.Optional(Type.String({ maxLength: 512 })),
  clientid: Type.String({ maxLength: 256 }),
});
const AclIn = Type.Object({
  username: Type.Optional(Type.String({ maxLength: 256 })),
  clientid: Type.String({ maxLength: 256 }),
  topic: Type.String({ minLength: 1, maxLength: 512 }),
  action: Type.Union([Type.Literal('publish'), Type.Literal('subscribe'), Type.Literal('all')]),
});
const Result = Type.Object({ result: Type.Union([Type.Literal('allow'), Type.Literal('deny')]), is_superuser: Type.Optional(Type.Boolean()) });

export const mqttHookRoutes: FastifyPluginAsyncTypebox<{ services: Services; hubUsername: string }> = async (app, { services: s, hubUsername }) => {
  const refused = s.metrics.counter('hcp_hub_mqtt_hook_denied_total', 'external broker auth/ACL requests denied');
  app.post('/api/mqtt/auth', { config: { roles: ROLE.broker }, schema: { tags: ['broker'], summary: 'EMQX HTTP authenticator', body: AuthIn, response: { 200: Result } } }, async (req) => {
    const p = await s.deviceAuth.authenticate(req.body.username, req.body.password, req.body.clientid);
    if (!p) {
      refused({ what: 'connect' });
      return { result: 'deny' as const };
    }
    return { result: 'allow' as const, is_superuser: p.kind === 'hub' };
  });

  // Authorization runs per publish/subscribe, after authentication: the principal is derived from
  // the username (= client id for devices) without the password.
  app.post('/api/mqtt/acl', { config: { roles: ROLE.broker }, schema: { tags: ['broker'], summary: 'EMQX HTTP authorizer', body: AclIn, response: { 200: Result } } }, async (req) => {
    const { username, clientid, topic, action } = req.body;
    let p: MqttPrincipal | null = null;
    if (username === hubUsername) p = { kind: 'hub' };
    else if (username && username === clientid) {
      const row = s.db.prepare("SELECT hall_id AS hallId FROM devices WHERE id = ? AND state = 'active'").get(username) as { hallId: string } | undefined;
      if (row) p = { kind: 'device', hallId: row.hallId, deviceId: username };
    }
    const ok = p !== null && (action === 'publish' ? s.deviceAuth.mayPublish(p, topic)
      : action === 'subscribe' ? s.deviceAuth.maySubscribe(p, topic)
      : s.deviceAuth.mayPublish(p, topic) && s.deviceAuth.maySubscribe(p, topic));
    if (!ok) refused({ what: action });
    return { result: ok ? ('allow' as const) : ('deny' as const) };
  });
};
