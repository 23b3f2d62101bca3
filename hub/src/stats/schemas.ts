/** TypeBox schemas of the statistics, export and report API (validation and OpenAPI from one source). */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const DateStr = (description: string) => Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description });

export const GroupBySchema = Type.Union([Type.Literal('hall'), Type.Literal('window'), Type.Literal('staff'), Type.Literal('department'), Type.Literal('item')], {
  description: 'hall = all together; window / staff / department (of the window) / item (事项)',
});
export const PeriodSchema = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('all')], {
  description: 'buckets of local (UTC+8) days; weeks start on Monday; all = one bucket for the range',
});

const RangeFields = {
  from: Type.Optional(DateStr('first local day (UTC+8), inclusive; default: 29 days before `to`')),
  to: Type.Optional(DateStr('last local day, inclusive; default: today')),
};

export const StatsQuerySchema = Type.Object({
  groupBy: Type.Optional(GroupBySchema),
  period: Type.Optional(PeriodSchema),
  ...RangeFields,
  defaults: Type.Optional(Type.Union([Type.Literal('include'), Type.Literal('exclude')], { description: 'count default ratings (include, the default) or citizens’ own only' })),
}, { additionalProperties: false });
export type StatsQueryIn = Static<typeof StatsQuerySchema>;

const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1 }));
export const StatsRowSchema = Type.Object({
  key: Nullable(Type.String()), name: Nullable(Type.String()), period: Type.String(), periodEnd: Type.String(),
  ratings: Type.Integer(), cases: Type.Integer(), levels: Type.Array(Type.Integer(), { minItems: 5, maxItems: 5, description: '办件 per level 1..5' }),
  good: Type.Integer(), bad: Type.Integer(), goodRate: Rate, badRate: Rate, avg: Nullable(Type.Number()),
  defaultCases: Type.Integer(), defaultShare: Rate, followUps: Type.Integer(),
  servedSessions: Type.Integer(), ratedSessions: Type.Integer(), servedCases: Type.Integer(), ratedCases: Type.Integer(), participationRate: Rate,
  badReviews: Type.Integer(), contacted: Type.Integer(), rectified: Type.Integer(), contactRate: Rate, rectifyRate: Rate,
});
export const StatsResultSchema = Type.Object({
  groupBy: GroupBySchema, period: PeriodSchema, from: Type.String(), to: Type.String(), timeZone: Type.String(), defaults: Type.Boolean(),
  asOf: Type.String({ description: '回访 / 整改 states are as of this instant' }),
  rows: Type.Array(StatsRowSchema), total: StatsRowSchema,
});

export const FormatSchema = Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]);
export const RatingsExportQuery = Type.Object({ format: Type.Optional(FormatSchema), ...RangeFields }, { additionalProperties: false });
export const StatsExportQuery = Type.Object({
  format: Type.Optional(FormatSchema), groupBy: Type.Optional(GroupBySchema), period: Type.Optional(PeriodSchema), ...RangeFields,
}, { additionalProperties: false });

export const ReportQuery = Type.Object({
  kind: Type.Optional(Type.Union([Type.Literal('week'), Type.Literal('month')], { description: '周通报 or 月通报 (default week)' })),
  date: Type.Optional(DateStr('any local day inside the week or month; default: the last complete one')),
  format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('pdf')])),
}, { additionalProperties: false });

export const PublicQuery = Type.Object({
  month: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'YYYY-MM; default: this month so far' })),
}, { additionalProperties: false });

/** A file or page answer (CSV, xlsx, PDF, HTML): described for OpenAPI, sent as bytes. */
export const FileAnswer = (description: string) => Type.Unknown({ description });
