/**
 * The one way to see an applicant's (evaluator's) personal data unmasked:
 *   POST /api/sessions/:id/applicant   { reason }  → name, ID type and number, phone, evaluator type
 *
 * Who: a logged-in person (not an API token) with the role manager (大厅管理者, who supervises the
 * 回访 of 差评) or auditor (审计). Admin is refused on purpose: it is a technical role, and personal
 * data is not needed to run the system. Every reveal is written to the audit log in the same
 * transaction as the read (who, when, which session, the reason; never the values); a refusal in
 * this handler is logged too. The answer is never cached. Rate limited per client.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HcpError, ID_TYPES, USER_TYPE_NAMES, type Applicant } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { AuditLog } from '../audit.js';
import type { Metrics } from '../metrics.js';
import type { Clock } from '../clock.js';
import { actorOf } from '../http/auth.js';

/** Roles that may reveal (besides the person check). Documented in docs/personal-data.md. */
export const REVEAL_ROLES = ['manager', 'auditor'] as const;

export interface RevealOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** Sessions.applicant: decrypts (never used for a view). */
  readonly applicant: (sessionId: string) => Applicant | null;
  readonly ratePerMin: number;
}

const Revealed = Type.Object({
  sessionId: Type.String(),
  applicant: Type.Object({
    name: Type.String(), idType: Type.String(), idTypeName: Type.String(), idNumber: Type.String(),
    phone: Type.Union([Type.String(), Type.Null()]), userType: Type.String(), userTypeName: Type.String(),
  }),
  revealedAt: Type.String(),
  revealedBy: Type.String(),
  auditId: Type.Integer({ description: 'the audit log entry of this reveal' }),
});

export const revealRoutes: FastifyPluginAsyncTypebox<RevealOptions> = async (app, o) => {
  const reveals = o.metrics.counter('hcp_hub_personal_data_reveals_total', 'applicant data reveals by result (ok or refusal code)');
  app.post('/api/sessions/:id/applicant', {
    config: { roles: REVEAL_ROLES, rateLimit: { max: o.ratePerMin, timeWindow: 60_000 } },
    schema: {
      tags: ['sessions'],
      summary: '查看评价人信息 reveal the applicant of a session unmasked (manager or auditor, logged in; a reason is required; audited)',
      params: Type.Object({ id: Type.String({ pattern: '^s-[0-9a-f-]{36}$' }) }),
      body: Type.Object({
        reason: Type.String({ minLength: 4, maxLength: 200, pattern: '\\S', description: 'why (e.g. 差评回访 case id); recorded in the audit log' }),
      }, { additionalProperties: false }),
      response: { 200: Revealed, 403: Type.Ref('ErrorBody'), 404: Type.Ref('ErrorBody') },
    },
  }, async (req, reply) => {
    const actor = actorOf(req);
    const p = req.principal!;
    const sessionId = req.params.id;
    const reason = req.body.reason.trim();
    const at = new Date(o.clock.now()).toISOString();
    const refuse = (code: 'HCP_FORBIDDEN' | 'HCP_NOT_FOUND' | 'HCP_NO_APPLICANT', why: string, detail?: unknown): never => {
      o.audit.record(actor, 'personal-data.reveal-refused', `session:${sessionId}`, { reason, refused: why });
      reveals({ result: code });
      throw new HcpError(code, detail);
    };
    if (p.kind !== 'user') refuse('HCP_FORBIDDEN', 'api-token', { rule: 'a logged-in person, not an API token' });
    if (p.role === 'admin') refuse('HCP_FORBIDDEN', 'admin', { rule: 'manager or auditor', allowed: REVEAL_ROLES });
    if (!o.db.prepare('SELECT 1 FROM sessions WHERE id = ?').get(sessionId)) refuse('HCP_NOT_FOUND', 'no-session', { sessionId });
    const found = o.applicant(sessionId);
    if (!found) return refuse('HCP_NO_APPLICANT', 'no-applicant', { sessionId });
    const a: Applicant = found;
    // the data leaves only if its audit entry is committed
    const auditId = o.db.transaction((): number => {
      o.audit.record(actor, 'personal-data.reveal', `session:${sessionId}`, {
        reason, role: p.role, fields: ['name', 'idType', 'idNumber', ...(a.phone ? ['phone'] : []), 'userType'],
      });
      return Number((o.db.prepare('SELECT last_insert_rowid() AS id').get() as { id: number }).id);
    })();
    reveals({ result: 'ok' });
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
      sessionId,
      applicant: {
        name: a.name, idType: a.idType, idTypeName: ID_TYPES[a.idType as keyof typeof ID_TYPES] ?? a.idType, idNumber: a.idNumber,
        phone: a.phone ?? null, userType: a.userType, userTypeName: USER_TYPE_NAMES[a.userType],
      },
      revealedAt: at,
      revealedBy: actor,
      auditId,
    });
  });
};
