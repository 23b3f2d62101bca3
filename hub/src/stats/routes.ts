/**
 * HTTP for statistics (issue 7), registered in the hub's app scope (auth, coded errors, OpenAPI):
 *   GET /api/stats                  figures per group and period (read roles)
 *   GET /api/exports/ratings        评价明细 as CSV / xlsx, streamed, applicant data masked (export roles, audit-logged)
 *   GET /api/exports/stats          统计报表 as CSV / xlsx (export roles, audit-logged)
 *   GET /api/reports/bulletin       周 / 月通报 as printable HTML or PDF (read roles)
 *   GET /public/results             评价结果公示, no login, rate-limited, no personal data
 *   GET /api/public/results         the same figures as JSON
 * Definitions: docs/statistics.md.
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { HcpError, type FieldError } from '@hcp/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Services } from '../services.js';
import { ROLE } from '../http/roles.js';
import { actorOf } from '../http/auth.js';
import type { Role } from '../registry/schemas.js';
import { StatsEngine, type GroupBy } from './engine.js';
import { addDays, isDate, localDate, rangeErrors, rangeInstants, type Period } from './period.js';
import { RATING_COLUMNS, csvChunks, ratingRecordPages, statsColumns, statsPages, xlsxStream, type Column, type RatingRecord } from './export.js';
import { buildBulletin, bulletinHtml, bulletinRange, type BulletinKind } from './report.js';
import { bulletinPdf, defaultFontCandidates, type FontCandidates } from './pdf.js';
import { publicHtml, publicResults } from './public.js';
import { FileAnswer, PublicQuery, RatingsExportQuery, ReportQuery, StatsExportQuery, StatsQuerySchema, StatsResultSchema } from './schemas.js';

/** Who may export: people who follow up ratings or check them; not technicians, not machines. */
export const EXPORT_ROLES: readonly Role[] = ['operator', 'manager', 'auditor'];

const GROUP_LABEL: Record<GroupBy, string> = { hall: '大厅', window: '窗口', staff: '工作人员', department: '部门', item: '事项' };
const TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } as const;

/** Pages are documents without scripts: nothing may run, styles are inline. */
const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

const invalid = (errors: FieldError[]) => new HcpError('HCP_VALIDATION', { part: 'querystring', errors }, { message: 'querystring is invalid' });

/** `attachment` with an ASCII fallback name and the Chinese one (RFC 6266 / 5987). */
function attachment(reply: FastifyReply, ascii: string, zh: string): void {
  void reply.header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(zh)}`);
}

export interface StatsRoutesOptions {
  readonly services: Services;
  /** Fonts for the PDF 通报 (default: the system's Noto CJK, or HCP_REPORT_FONT). */
  readonly fonts?: FontCandidates;
}

export const statsRoutes: FastifyPluginAsyncTypebox<StatsRoutesOptions> = async (app, opts) => {
  const s = opts.services;
  const engine = new StatsEngine(s.db, s.clock);
  const fonts = opts.fonts ?? defaultFontCandidates();
  const exports = s.metrics.counter('hcp_hub_exports_total', 'exports and reports served, by kind and format');
  const publicViews = s.metrics.counter('hcp_hub_public_results_total', 'public results page views, by format');
  const tags = ['statistics'];
  const indicatorName = (code: string) => s.deviceSettings.indicators()?.items.find((i) => i.code === code)?.name ?? null;

  /** from/to with defaults (the 30 local days up to today), checked. */
  const range = (q: { from?: string | undefined; to?: string | undefined }, period: Period) => {
    const to = q.to ?? localDate(s.clock.now());
    const from = q.from ?? addDays(isDate(to) ? to : localDate(s.clock.now()), -29);
    return { from, to, period };
  };

  app.get('/api/stats', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '好差评统计 per hall / window / staff / department / item and day / week / month (definitions: docs/statistics.md)',
      querystring: StatsQuerySchema, response: { 200: StatsResultSchema },
    },
  }, async (req) => {
    const q = req.query;
    const r = range(q, q.period ?? 'all');
    return engine.query({ groupBy: (q.groupBy ?? 'hall') as GroupBy, period: r.period, from: r.from, to: r.to, defaults: q.defaults !== 'exclude' });
  });

  app.get('/api/exports/ratings', {
    config: { roles: EXPORT_ROLES },
    schema: {
      tags, summary: '评价明细导出 ratings as CSV or Excel, streamed; applicant data masked; excluded ratings listed and marked',
      querystring: RatingsExportQuery,
      response: { 200: FileAnswer('text/csv (UTF-8 with BOM) or .xlsx') },
    },
  }, async (req, reply) => {
    const format = req.query.format ?? 'csv';
    const r = range(req.query, 'month');
    // the range check of the engine's largest period: ten years
    const errors = rangeErrors(r.from, r.to, 'all');
    if (errors.length) throw invalid(errors);
    s.audit.record(actorOf(req), 'export.ratings', null, { format, from: r.from, to: r.to });
    exports({ kind: 'ratings', format });
    const pages = ratingRecordPages({ db: s.db, applicant: (id) => s.sessions.applicant(id), indicatorName }, rangeInstants(r.from, r.to));
    attachment(reply, `ratings_${r.from}_${r.to}.${format}`, `评价明细_${r.from}_${r.to}.${format}`);
    void reply.header('cache-control', 'no-store').type(TYPES[format]);
    return reply.send(format === 'csv'
      ? Readable.from(csvChunks(RATING_COLUMNS, pages))
      : xlsxStream<RatingRecord>([{ name: '评价明细', columns: RATING_COLUMNS, pages, title: `评价明细（${r.from} 至 ${r.to}，北京时间；评价人信息已脱敏）` }]));
  });

  app.get('/api/exports/stats', {
    config: { roles: EXPORT_ROLES },
    schema: { tags, summary: '统计报表导出 statistics as CSV or Excel', querystring: StatsExportQuery, response: { 200: FileAnswer('text/csv (UTF-8 with BOM) or .xlsx') } },
  }, async (req, reply) => {
    const format = req.query.format ?? 'csv';
    const groupBy = (req.query.groupBy ?? 'window') as GroupBy;
    const r = range(req.query, req.query.period ?? 'all');
    const result = engine.query({ groupBy, period: r.period, from: r.from, to: r.to });
    s.audit.record(actorOf(req), 'export.stats', null, { format, groupBy, period: r.period, from: r.from, to: r.to });
    exports({ kind: 'stats', format });
    const columns = statsColumns(GROUP_LABEL[groupBy]) as Column<(typeof result.rows)[number]>[];
    attachment(reply, `stats_${groupBy}_${r.from}_${r.to}.${format}`, `好差评统计_${GROUP_LABEL[groupBy]}_${r.from}_${r.to}.${format}`);
    void reply.header('cache-control', 'no-store').type(TYPES[format]);
    return reply.send(format === 'csv'
      ? Readable.from(csvChunks(columns, statsPages(result)))
      : xlsxStream([{ name: `按${GROUP_LABEL[groupBy]}统计`, columns, pages: statsPages(result), title: `好差评统计（按${GROUP_LABEL[groupBy]}，${r.from} 至 ${r.to}，北京时间）` }]));
  });

  app.get('/api/reports/bulletin', {
    config: { roles: ROLE.read },
    schema: {
      tags, summary: '好差评通报 weekly / monthly bulletin as a printable page or PDF (no applicant data)',
      querystring: ReportQuery, response: { 200: FileAnswer('text/html or application/pdf') },
    },
  }, async (req, reply) => {
    const kind: BulletinKind = req.query.kind ?? 'week';
    const format = req.query.format ?? 'html';
    const today = localDate(s.clock.now());
    if (req.query.date !== undefined && !isDate(req.query.date)) throw invalid([{ field: '/date', rule: 'a calendar date YYYY-MM-DD' }]);
    if (req.query.date !== undefined && req.query.date > today) throw invalid([{ field: '/date', rule: 'not after today' }]);
    const b = buildBulletin(s.db, engine, kind, bulletinRange(kind, today, req.query.date), indicatorName);
    exports({ kind: `bulletin-${kind}`, format });
    const name = `${kind === 'week' ? '好差评周通报' : '好差评月通报'}_${b.from}_${b.to}`;
    if (format === 'pdf') {
      const pdf = await bulletinPdf(b, fonts);
      s.audit.record(actorOf(req), 'report.bulletin', null, { kind, format, from: b.from, to: b.to });
      attachment(reply, `bulletin_${kind}_${b.from}.pdf`, `${name}.pdf`);
      return reply.header('cache-control', 'no-store').type('application/pdf').send(pdf);
    }
    s.audit.record(actorOf(req), 'report.bulletin', null, { kind, format, from: b.from, to: b.to });
    const pdfHref = `/api/reports/bulletin?kind=${kind}&date=${b.from}&format=pdf`;
    return reply.headers({ ...PAGE_HEADERS, 'cache-control': 'no-store' }).type('text/html; charset=utf-8').send(bulletinHtml(b, pdfHref));
  });

  /** The month asked for (default this one), checked: a real month, not in the future. */
  const publicMonth = (month: string | undefined) => {
    const current = localDate(s.clock.now()).slice(0, 7);
    const m = month ?? current;
    const mm = Number(m.slice(5, 7));
    if (mm < 1 || mm > 12) throw invalid([{ field: '/month', rule: 'a month YYYY-MM' }]);
    if (m > current) throw invalid([{ field: '/month', rule: 'not after this month' }]);
    const months: string[] = [];
    for (let d = `${current}-01`, i = 0; i < 12; i++, d = addDays(d, -1).slice(0, 8) + '01') months.push(d.slice(0, 7));
    return { month: m, months };
  };
  const publicLimit = { max: s.config.publicRatePerMin, timeWindow: 60_000 };

  app.get('/public/results', {
    config: { public: true, rateLimit: publicLimit },
    schema: { tags: ['public'], summary: '评价结果公示 public results page (no login, no personal data)', querystring: PublicQuery },
  }, async (req, reply) => {
    const { month, months } = publicMonth(req.query.month);
    const r = publicResults(engine, month, s.clock.now())!;
    publicViews({ format: 'html' });
    return reply.headers({ ...PAGE_HEADERS, 'cache-control': 'public, max-age=300' }).type('text/html; charset=utf-8').send(publicHtml(r, months));
  });

  const PublicRowSchema = Type.Object({
    name: Type.String(), cases: Type.Integer(), goodRate: Type.Union([Type.Number(), Type.Null()]), avg: Type.Union([Type.Number(), Type.Null()]),
    participationRate: Type.Union([Type.Number(), Type.Null()]), rectifyRate: Type.Union([Type.Number(), Type.Null()]),
  });
  app.get('/api/public/results', {
    config: { public: true, rateLimit: publicLimit },
    schema: {
      tags: ['public'], summary: '评价结果公示 as JSON (per department and window; no staff, no personal data)', querystring: PublicQuery,
      response: {
        200: Type.Object({
          hallName: Type.String(), month: Type.String(), from: Type.String(), to: Type.String(), asOf: Type.String(),
          total: PublicRowSchema, departments: Type.Array(PublicRowSchema), windows: Type.Array(PublicRowSchema),
        }),
      },
    },
  }, async (req, reply) => {
    const { month } = publicMonth(req.query.month);
    publicViews({ format: 'json' });
    void reply.header('cache-control', 'public, max-age=300');
    return publicResults(engine, month, s.clock.now())!;
  });
};
