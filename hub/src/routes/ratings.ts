/**
 * Audit reads over stored ratings, used to prove exactly-once end to end (the simulator fleet's
 * tally, chaos tests) and by operators checking "一次一评":
 *   POST /api/ratings/lookup        which of these rating ids the hub has stored
 *   GET  /api/ratings/multi-rated   sessions that hold more than one first rating
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RatingId } from '@hcp/protocol';
import type { Services } from '../services.js';
import { ROLE } from '../http/roles.js';

export const ratingAuditRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  const tags = ['ratings'];
  // json_each keeps the id list one bound parameter, whatever its length.
  const lookup = s.db.prepare<[string], { id: string; session_id: string | null; device_id: string }>(
    'SELECT r.id, r.session_id, r.device_id FROM ratings r JOIN json_each(?) j ON r.id = j.value',
  );
  const multi = s.db.prepare<[], { session_id: string; n: number }>(
    `SELECT session_id, COUNT(*) AS n FROM ratings
      WHERE session_id IS NOT NULL AND json_extract(body, '$.assessNumber') = 1
      GROUP BY session_id HAVING COUNT(*) > 1 ORDER BY n DESC LIMIT 1000`,
  );

  app.post('/api/ratings/lookup', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '评价核对 which of these rating ids are stored',
      body: Type.Object({ ids: Type.Array(RatingId, { maxItems: 1000 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ found: Type.Array(Type.Object({ id: Type.String(), sessionId: Type.Union([Type.String(), Type.Null()]), deviceId: Type.String() })) }) },
    },
  }, async (req) => ({
    found: lookup.all(JSON.stringify(req.body.ids)).map((r) => ({ id: r.id, sessionId: r.session_id, deviceId: r.device_id })),
  }));

  app.get('/api/ratings/multi-rated', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '一次多评 sessions with more than one first rating (should be none)',
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ sessionId: Type.String(), count: Type.Integer() })) }) },
    },
  }, async () => ({ items: multi.all().map((r) => ({ sessionId: r.session_id, count: r.n })) }));
};
