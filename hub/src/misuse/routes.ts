/**
 * Misuse flags for the dashboard (异常标记):
 *   GET  /api/misuse        flags, newest first, with the open count per rule (read roles)
 *   POST /api/misuse/ack    an operator or manager acknowledges flags with a note (audited)
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WINDOW_ID_PATTERN } from '@hcp/protocol';
import { ROLE } from '../http/roles.js';
import { actorOf } from '../http/auth.js';
import { RULES, type MisuseFlags, type MisuseOptions } from './misuse.js';

const RuleSchema = Type.Union(RULES.map((r) => Type.Literal(r)));
const Flag = Type.Object({
  id: Type.Integer(), rule: RuleSchema, ratingId: Type.String(), windowId: Type.String(), windowName: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.String(), staffId: Type.Union([Type.String(), Type.Null()]), staffName: Type.Union([Type.String(), Type.Null()]),
  level: Type.Integer(), origin: Type.String(), givenAt: Type.String(), detectedAt: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
  state: Type.Union([Type.Literal('open'), Type.Literal('acknowledged')]),
  ackBy: Type.Union([Type.String(), Type.Null()]), ackAt: Type.Union([Type.String(), Type.Null()]), ackNote: Type.Union([Type.String(), Type.Null()]),
});

/** Who may acknowledge: the people who watch the hall (operator) and run it (manager). */
export const ACK_ROLES = ['operator', 'manager'] as const;

export const misuseRoutes: FastifyPluginAsyncTypebox<{ flags: MisuseFlags; options: MisuseOptions }> = async (app, { flags, options }) => {
  const tags = ['misuse'];
  app.get('/api/misuse', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '异常标记 misuse flags (bursts of top ratings, off-hours, walk-up, staff-side patterns), newest first',
      querystring: Type.Object({
        state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged')])),
        rule: Type.Optional(RuleSchema),
        windowId: Type.Optional(Type.String({ pattern: WINDOW_ID_PATTERN })),
        limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
        before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'only flags with a smaller id (paging)' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          items: Type.Array(Flag),
          open: Type.Record(Type.String(), Type.Integer(), { description: 'open flags per rule' }),
          options: Type.Unknown({ description: 'the thresholds in force (config misuse)' }),
        }),
      },
    },
  }, async (req) => {
    const q = req.query;
    const r = flags.list({
      ...(q.state ? { state: q.state } : {}), ...(q.rule ? { rule: q.rule } : {}), ...(q.windowId ? { windowId: q.windowId } : {}),
      limit: Math.min(1000, Number(q.limit ?? 200)), ...(q.before ? { before: Number(q.before) } : {}),
    });
    return { ...r, options };
  });

  app.post('/api/misuse/ack', {
    config: { roles: ACK_ROLES },
    schema: {
      tags, summary: '确认异常标记 acknowledge flags with a note (audited; the ratings stay as they are)',
      body: Type.Object({
        ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 200, uniqueItems: true }),
        note: Type.String({ minLength: 2, maxLength: 500, pattern: '\\S', description: 'what was found' }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(Flag) }), 404: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody') },
    },
  }, async (req) => ({ items: flags.acknowledge(req.body.ids, actorOf(req), req.body.note.trim()) }));
};
