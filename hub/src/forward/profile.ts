/**
 * Province profile: everything that differs between provincial 好差评 systems, as validated data.
 * Defaults live only in this schema (applied by `loadProfile`); code never repeats them.
 * See docs/forwarding.md for every field.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HcpError, channelCode, validate } from '@hcp/protocol';
import { ADAPTERS } from './adapters/index.js';

const Str = (opts: object = {}) => Type.String({ minLength: 1, maxLength: 256, ...opts });

/** Channel table: hcp channel (national `pf` code 1..7, as the device sends it) → province `pf` string. */
export const ChannelTable = Type.Record(Type.String({ pattern: '^[1-7]$' }), Type.String({ minLength: 1, maxLength: 8 }), {
  description: 'explicit overrides: hcp channel (national pf) → province pf; others follow channelVariant',
});

export const CodeVariants = Type.Object(
  {
    channelVariant: Type.Union([Type.Literal('national'), Type.Literal('zhejiang')], {
      default: 'national',
      description: 'channel table variant of codes.ts (Zhejiang: 6 = SMS, 7 = system default)',
    }),
    channels: Type.Optional(ChannelTable),
    userType: Type.Union([Type.Literal('A'), Type.Literal('B')], { default: 'B', description: 'userProp variant (see codes.ts)' }),
    promiseOrder: Type.Union([Type.Literal('immediate-first'), Type.Literal('promised-first')], { default: 'immediate-first' }),
    levelOrder: Type.Union([Type.Literal('national'), Type.Literal('gbt39046')], { default: 'national' }),
    dateFormat: Type.Union([Type.Literal('yyyy-MM-dd HH:mm:ss'), Type.Literal('yyyyMMddHHmmss'), Type.Literal('epoch-ms')], {
      default: 'yyyy-MM-dd HH:mm:ss',
      description: 'format of assessTime / acceptDate, China time',
    }),
    dataSource: Type.String({ pattern: '^[0-9]{3}$', default: '000', description: '3-digit source code given by the province' }),
    idNumberField: Type.Union([Type.Literal('certKey'), Type.Literal('certKeyGOV')], { default: 'certKey' }),
  },
  { additionalProperties: false, default: {} },
);
export type CodeVariants = Static<typeof CodeVariants>;

export const Credentials = Type.Object(
  {
    appId: Type.String({ maxLength: 128, default: '' }),
    secret: Type.String({ maxLength: 512, default: '', description: 'signing secret / token; never logged' }),
  },
  { additionalProperties: false, default: {} },
);

export const RetryPolicy = Type.Object(
  {
    baseMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 1000 }),
    maxMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 300_000 }),
    maxAttempts: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      default: null,
      description: 'retryable failures before a record is dead-lettered; null = retry forever (outages can be long)',
    }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 15_000, description: 'per HTTP request' }),
  },
  { additionalProperties: false, default: {} },
);

export const DefaultRatingPolicy = Type.Union(
  [
    Type.Object({ mode: Type.Literal('off') }, { additionalProperties: false }),
    Type.Object(
      {
        mode: Type.Literal('after-working-days'),
        days: Type.Integer({ minimum: 1, maximum: 60, description: 'working days after service' }),
        level: Type.Union([Type.Literal(3), Type.Literal(4), Type.Literal(5)], { default: 4, description: 'national order; Tai’an: 4 满意' }),
        channelCode: Type.Optional(Type.String({ minLength: 1, maxLength: 8, description: 'province pf for default ratings; absent = the variant\'s default code (Zhejiang: 7)' })),
        markField: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'field set to "1" on default ratings, for provinces that have one (the generic profile has none: its unknown fields are rejected)' })),
      },
      { additionalProperties: false },
    ),
  ],
  { default: { mode: 'off' } },
);
export type DefaultRatingPolicy = Static<typeof DefaultRatingPolicy>;

export const IndicatorSource = Type.Union(
  [
    Type.Object({ kind: Type.Literal('endpoint') }, { additionalProperties: false, description: 'the adapter\'s indicator call at the profile endpoint' }),
    Type.Object({ kind: Type.Literal('file'), path: Str({ maxLength: 1024 }) }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
  ],
  { default: { kind: 'none' } },
);
export type IndicatorSource = Static<typeof IndicatorSource>;

/** Hall-wide case context the business system does not send (department, credit code, area). */
export const HallIdentity = Type.Object(
  {
    deptName: Type.String({ maxLength: 100, default: '' }),
    deptCode: Type.String({ pattern: '^([0-9A-Z]{18})?$', default: '', description: '18-char unified social credit code' }),
    areaCode: Type.String({ pattern: '^([0-9]{6,12})?$', default: '', description: 'administrative area code' }),
  },
  { additionalProperties: false, default: {} },
);

export const ProvinceProfile = Type.Object(
  {
    v: Type.Literal(1, { default: 1 }),
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$', description: 'profile id, e.g. generic, shandong' }),
    adapter: Type.String({ minLength: 1, maxLength: 64, description: 'adapter name, e.g. generic-json, signed-envelope' }),
    endpoint: Str({ maxLength: 1024, pattern: '^https?://', description: 'base URL of the provincial system; the adapter appends its paths' }),
    credentials: Credentials,
    codes: CodeVariants,
    hall: HallIdentity,
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    concurrency: Type.Integer({ minimum: 1, maximum: 8, default: 2, description: 'requests in flight at once (disjoint batches)' }),
    rateLimit: Type.Object(
      { recordsPerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, default: 100 }) },
      { additionalProperties: false, default: {} },
    ),
    retry: RetryPolicy,
    defaultRating: DefaultRatingPolicy,
    indicators: IndicatorSource,
    signature: Type.Union([Type.Literal('hmac-sha256'), Type.Literal('hmac-sm3')], {
      default: 'hmac-sha256',
      description: 'signed-envelope only; both through node:crypto (OpenSSL), no extra package',
    }),
    pollIntervalMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000, description: 'worker idle poll' }),
  },
  { additionalProperties: false },
);
export type ProvinceProfile = Static<typeof ProvinceProfile>;

/** Reads a profile JSON file; HCP_CONFIG_UNREADABLE / HCP_CONFIG_INVALID. */
export function loadProfileFile(path: string): Readonly<ProvinceProfile> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HcpError('HCP_CONFIG_UNREADABLE', { what: 'province profile', path }, { cause: err, message: `cannot read province profile ${path}` });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HcpError('HCP_CONFIG_INVALID', { what: 'province profile', path, errors: [{ field: '', rule: 'valid JSON' }] }, { cause: err, message: `province profile ${path} is not valid JSON` });
  }
  return loadProfile(parsed);
}

/**
 * Applies schema defaults, validates (every error listed), freezes. Throws HCP_CONFIG_INVALID.
 */
export function loadProfile(input: unknown): Readonly<ProvinceProfile> {
  const withDefaults = Value.Default(ProvinceProfile, structuredClone(input ?? {}));
  const r = validate(ProvinceProfile, withDefaults);
  if (!r.ok) {
    throw new HcpError('HCP_CONFIG_INVALID', { what: 'province profile', errors: r.errors }, {
      message: `province profile is invalid: ${r.errors.map((e) => `${e.field || '(root)'}: ${e.rule}`).join('; ')}`,
    });
  }
  if (r.value.retry.maxMs < r.value.retry.baseMs) {
    throw new HcpError('HCP_CONFIG_INVALID', { what: 'province profile', errors: [{ field: '/retry/maxMs', rule: '>= baseMs' }] }, { message: 'province profile is invalid: /retry/maxMs: >= baseMs' });
  }
  const p = r.value;
  const fail = (field: string, rule: string): never => {
    throw new HcpError('HCP_CONFIG_INVALID', { what: 'province profile', errors: [{ field, rule }] }, { message: `province profile is invalid: ${field}: ${rule}` });
  };
  if (!Object.hasOwn(ADAPTERS, p.adapter)) fail('/adapter', `one of: ${Object.keys(ADAPTERS).join(', ')}`);
  if (p.defaultRating.mode === 'after-working-days' && !p.defaultRating.channelCode) {
    try {
      channelCode('default', p.codes.channelVariant);
    } catch {
      fail('/defaultRating/channelCode', `required: channel variant ${p.codes.channelVariant} has no default-rating channel`);
    }
  }
  return deepFreeze(p);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
