/**
 * The phone rating page and its API, all public (the signed link is the credential) and rate
 * limited per client address:
 *   GET  /m/r/:token                 the page (HTML); a clear Chinese error page with the code otherwise
 *   GET  /m/rate.js, /m/rate.css     its only assets (hub/public/mobile)
 *   GET  /api/m/r/:token             the page's data (JSON)
 *   POST /api/m/r/:token/ratings     rate: first (assessNumber 1) or 追加 follow-up (2), exactly once per submissionId
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IndicatorCode, LevelSchema, isErrorCode, type ErrorCode } from '@hcp/protocol';
import { toAnswer } from '../http/errors.js';
import type { Metrics } from '../metrics.js';
import type { MobileRatings } from './mobile.js';
import { MOBILE_HEADERS, errorPage, ratingPage } from './page.js';

/** hub/public/mobile, the same from src/mobile (tests, tsx) and dist/mobile (built). */
export const MOBILE_PUBLIC_DIR = fileURLToPath(new URL('../../public/mobile/', import.meta.url));

const AspectCode = Type.String({ pattern: '^[A-Za-z0-9_-]{1,16}$' });
const Given = Type.Union([Type.Null(), Type.Object({ level: LevelSchema, givenAt: Type.String(), channel: Type.String(), origin: Type.String() })]);
export const MobileViewSchema = Type.Object({
  hallName: Type.String(),
  item: Type.Object({ code: Type.String(), name: Type.String() }),
  window: Type.Object({ id: Type.String(), name: Type.String() }),
  staff: Type.Union([Type.Null(), Type.Object({
    name: Type.String(), number: Type.String(), title: Type.Union([Type.String(), Type.Null()]),
    starLevel: Type.Union([Type.Integer(), Type.Null()]), photoUrl: Type.Union([Type.String(), Type.Null()]),
  })]),
  servedAt: Type.String(),
  linkExpiresAt: Type.String(),
  next: Type.Union([Type.Literal('first'), Type.Literal('follow-up'), Type.Literal('none')], { description: 'what the citizen may give now' }),
  closedReason: Type.Union([Type.Literal('followed-up'), Type.Literal('follow-up-window-closed'), Type.Literal('follow-up-off'), Type.Null()]),
  first: Given,
  followUp: Given,
  followUpUntil: Type.Union([Type.String(), Type.Null()]),
  levels: Type.Array(Type.Object({ level: LevelSchema, name: Type.String() })),
  indicators: Type.Object({
    version: Type.Union([Type.String(), Type.Null()]),
    items: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), group: Type.Optional(Type.String()) })),
  }),
  aspects: Type.Array(Type.Object({ code: Type.String(), name: Type.String() })),
}, { description: 'the phone page data: service item, window, staff card; never applicant data or case numbers' });

export const MobileSubmissionSchema = Type.Object({
  submissionId: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$', description: 'idempotency key the page makes once per rating: a retry or double submit with it stores nothing new' }),
  assessNumber: Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 first rating, 2 追加 follow-up' }),
  level: LevelSchema,
  indicators: Type.Optional(Type.Array(IndicatorCode, { maxItems: 20, uniqueItems: true, description: '差评 reasons from the page\'s indicator list' })),
  subScores: Type.Optional(Type.Record(AspectCode, LevelSchema, { description: 'optional per-aspect levels (the page\'s aspects)' })),
  text: Type.Optional(Type.String({ maxLength: 500, description: 'free text (writingEvaluation)' })),
}, { additionalProperties: false });

const Token = Type.Object({ token: Type.String({ maxLength: 2048 }) });
const ErrorRef = Type.Ref('ErrorBody');

export interface MobileRouteOptions {
  readonly mobile: MobileRatings;
  readonly metrics: Metrics;
  readonly ratePerMin: number;
  readonly publicDir?: string;
}

export const mobileRoutes: FastifyPluginAsyncTypebox<MobileRouteOptions> = async (app, opts) => {
  const { mobile } = opts;
  const pages = opts.metrics.counter('hcp_hub_mobile_pages_total', 'phone rating page loads by result (ok or the error code)');
  const limited = opts.metrics.counter('hcp_hub_mobile_rate_limited_total', 'phone page and API requests refused by the rate limit');
  const rateLimit = { max: opts.ratePerMin, timeWindow: 60_000, onExceeded: () => limited() };
  const dir = opts.publicDir ?? MOBILE_PUBLIC_DIR;
  const assets = new Map([
    ['rate.js', { body: readFileSync(`${dir}rate.js`), type: 'text/javascript; charset=utf-8' }],
    ['rate.css', { body: readFileSync(`${dir}rate.css`), type: 'text/css; charset=utf-8' }],
  ]);

  // The page scope answers every error with a Chinese HTML page that names the code.
  await app.register(async (scope) => {
    const page = scope.withTypeProvider<TypeBoxTypeProvider>();
    page.setErrorHandler((err, _req, reply) => {
      const a = toAnswer(err);
      const code: ErrorCode = isErrorCode(a.body.code) ? a.body.code : 'HCP_INTERNAL';
      pages({ result: code });
      const d = a.body.detail as { expiredAt?: string } | undefined;
      const extra = d?.expiredAt ? `有效期至 ${new Date(Date.parse(d.expiredAt) + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ')}（北京时间）` : undefined;
      void reply.status(a.status).headers(MOBILE_HEADERS).type('text/html; charset=utf-8').send(errorPage(code, extra));
    });
    page.get('/m/r/:token', {
      config: { public: true, rateLimit },
      schema: { hide: true, params: Token },
    }, async (req, reply) => {
      const view = mobile.view(req.params.token);
      pages({ result: 'ok' });
      return reply.headers(MOBILE_HEADERS).type('text/html; charset=utf-8').send(ratingPage(view));
    });
  });

  app.get('/m/:file', {
    config: { public: true },
    schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 16 }) }) },
  }, async (req, reply) => {
    const a = assets.get(req.params.file);
    if (!a) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(a.type).send(a.body);
  });

  const tags = ['mobile'];
  app.get('/api/m/r/:token', {
    config: { public: true, rateLimit },
    schema: {
      tags, summary: '手机评价页数据 the data of the phone page for a rating link', params: Token,
      response: { 200: MobileViewSchema, 404: ErrorRef, 409: ErrorRef, 410: ErrorRef },
    },
  }, async (req, reply) => reply.headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).send(mobile.view(req.params.token)));

  app.post('/api/m/r/:token/ratings', {
    config: { public: true, rateLimit },
    schema: {
      tags, summary: '手机评价 rate on the phone (channel 3 二维码): first rating or 追加 follow-up, once per submissionId',
      params: Token, body: MobileSubmissionSchema,
      response: {
        200: Type.Object({ ratingId: Type.String(), assessNumber: Type.Integer(), level: Type.Integer(), duplicate: Type.Literal(true), view: MobileViewSchema }, { description: 'this submissionId was stored before; nothing new stored' }),
        201: Type.Object({ ratingId: Type.String(), assessNumber: Type.Integer(), level: Type.Integer(), duplicate: Type.Literal(false), view: MobileViewSchema }),
        400: ErrorRef, 404: ErrorRef, 409: ErrorRef, 410: ErrorRef,
      },
    },
  }, async (req, reply) => {
    try {
      const r = mobile.submit(req.params.token, req.body);
      return reply.status(r.duplicate ? 200 : 201).header('cache-control', 'no-store').send(r);
    } catch (err) {
      mobile.refused(toAnswer(err).body.code);
      throw err;
    }
  });
};
