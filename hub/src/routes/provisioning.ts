/** Claim-code provisioning: the device's exchange (public, rate-limited) and the technician's side. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProvisionRequest, ProvisionResponse } from '@hcp/protocol';
import type { FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { ClaimCodeView, ClaimRequest, CodeRequest, ErrorBody } from '../registry/schemas.js';
import { actorOf } from '../http/auth.js';
import { ROLE } from '../http/roles.js';

export function baseUrl(s: Services, req: FastifyRequest): string {
  return s.config.publicUrl ?? `${req.protocol}://${req.host}`;
}

const CodeAnswer = Type.Object({ code: Type.String(), windowId: Type.String(), expiresAt: Type.String() });

export const provisioningRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  const tags = ['provisioning'];
  app.post('/api/provision/exchange', {
    config: { public: true, rateLimit: { max: s.config.publicRatePerMin, timeWindow: 60_000 } },
    schema: {
      tags, summary: 'device exchanges its claim code for identity, MQTT credentials, signing key and config', body: ProvisionRequest,
      response: { 200: ProvisionResponse, 202: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
  }, async (req, reply) => {
    const r = s.provisioning.exchange(req.body, { hubUrl: baseUrl(s, req), mqttUrl: s.mqttPublicUrl() });
    switch (r.kind) {
      case 'issued':
        return r.response;
      case 'pending':
        return reply.status(202).send({ code: 'HCP_CLAIM_PENDING', message: '等待技术人员认领 waiting for a technician to claim this code' });
      case 'invalid':
        return reply.status(404).send({ code: 'HCP_CLAIM_INVALID', message: '认领码无效、已使用或已过期 claim code is unknown, used or expired' });
      case 'revoked':
        return reply.status(403).send({ code: 'HCP_DEVICE_REVOKED', message: '设备已停用 device has been decommissioned' });
    }
  });

  app.post('/api/devices/claim', {
    config: { roles: ROLE.devices },
    schema: { tags, summary: '认领 claim the code a device shows and assign it to a window', body: ClaimRequest, response: { 200: CodeAnswer } },
  }, async (req) => s.provisioning.claim(req.body.claimCode, req.body.windowId, actorOf(req)));

  app.post('/api/provision/codes', {
    config: { roles: ROLE.devices },
    schema: { tags, summary: 'pre-create a single-use claim code for a window', body: CodeRequest, response: { 201: CodeAnswer } },
  }, async (req, reply) => reply.status(201).send(s.provisioning.createCode(req.body.windowId, actorOf(req))));

  app.get('/api/provision/codes', {
    config: { roles: ROLE.devices },
    schema: {
      tags, summary: 'unexpired codes; state=waiting lists devices waiting to be claimed',
      querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('waiting'), Type.Literal('claimed'), Type.Literal('used'), Type.Literal('revoked')])) }, { additionalProperties: false }),
      response: { 200: Type.Array(ClaimCodeView) },
    },
  }, async (req) => s.provisioning.listCodes(req.query.state) as never);
};
