/**
 * Hub configuration: one TypeBox schema holds every default; a config file (JSON) and the command
 * line are merged over it, validated once (all errors listed), then frozen.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HALL_ID_PATTERN, HcpError, validate, formatErrors } from '@hcp/protocol';

export const HubConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: './hcp-data', description: 'database, keys and credentials live here' }),
    hallId: Type.String({ pattern: HALL_ID_PATTERN, default: 'hall-1', description: 'the service hall this hub runs' }),
    hallName: Type.String({ minLength: 1, maxLength: 100, default: '政务服务大厅' }),
    httpHost: Type.String({ default: '0.0.0.0' }),
    httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    mqttHost: Type.String({ default: '0.0.0.0' }),
    mqttPort: Type.Integer({ minimum: 0, maximum: 65535, default: 1883, description: 'embedded broker port' }),
    mqttUrl: Type.Optional(Type.String({ pattern: '^mqtts?://', description: 'use this external broker instead of the embedded one' })),
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'hub URL as devices and phones reach it' })),
    publicMqttUrl: Type.Optional(Type.String({ pattern: '^mqtts?://', description: 'broker URL handed to devices' })),
    claimCodeTtlS: Type.Integer({ minimum: 60, default: 86_400 }),
    sessionTtlS: Type.Integer({ minimum: 10, default: 600, description: 'a pushed session times out after this' }),
    mobile: Type.Object(
      {
        followUpWorkingDays: Type.Integer({ minimum: 0, maximum: 60, default: 5, description: 'a follow-up (追加) rating is accepted until this many working days after the service (Jiangxi 管理办法 第六条: 接受服务后5个工作日内); 0 turns follow-ups off' }),
        ratePerMin: Type.Integer({ minimum: 1, default: 120, description: 'phone page and rating requests per client address, route and minute (phones behind one hall Wi-Fi NAT or a reverse proxy share an address)' }),
        aspects: Type.Array(
          Type.Object({ code: Type.String({ pattern: '^[A-Za-z0-9_-]{1,16}$' }), name: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false }),
          {
            maxItems: 8,
            default: [{ code: 'attitude', name: '服务态度' }, { code: 'efficiency', name: '服务效率' }, { code: 'notice', name: '一次告知' }, { code: 'skill', name: '业务熟练度' }],
            description: 'optional sub-scores (subScores) the phone page offers; the hall devices in the policy texts use these four',
          },
        ),
      },
      { additionalProperties: false, default: {}, description: 'phone rating page behind the device QR code (docs/mobile-rating.md)' },
    ),
    misuse: Type.Object(
      {
        topBurstCount: Type.Integer({ minimum: 2, default: 5, description: 'this many 非常满意 ratings at one window …' }),
        topBurstWithinS: Type.Integer({ minimum: 1, default: 60, description: '… within this many seconds are flagged top-burst' }),
        fastAfterOpenS: Type.Number({ minimum: 0, default: 2, description: 'a session rating given sooner than this after the session opened is flagged fast-after-open (0 = off)' }),
        staffKeyBurstCount: Type.Integer({ minimum: 2, default: 3, description: 'this many staff-key ratings at one device …' }),
        staffKeyBurstWithinS: Type.Integer({ minimum: 1, default: 120, description: '… within this many seconds are flagged staff-key-burst' }),
        openingHours: Type.Object(
          {
            open: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '08:30', description: 'China time' }),
            close: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '17:30', description: 'China time' }),
            days: Type.Union([Type.Literal('working-days'), Type.Literal('every-day')], { default: 'working-days', description: 'working-days follows the calendar (holidays off, 调休 days on)' }),
            graceMin: Type.Integer({ minimum: 0, maximum: 240, default: 30, description: 'ratings this close to opening hours are not flagged (citizens served at closing time rate a little later)' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {}, description: 'misuse flag rules (docs/misuse.md)' },
    ),
    inactivityTimeoutS: Type.Integer({ minimum: 5, default: 600, description: 'no message for this long → offline' }),
    healthCheckS: Type.Integer({ minimum: 1, default: 60 }),
    offlineAlertMin: Type.Number({ minimum: 0, default: 10 }),
    diskLowBytes: Type.Integer({ minimum: 0, default: 200_000_000 }),
    backlogGrowthReports: Type.Integer({ minimum: 2, default: 3, description: 'consecutive growing backlog reports before an alert' }),
    mosquittoDir: Type.Optional(Type.String({ minLength: 1, description: 'keep a Mosquitto passwd + acl file here, rewritten on every provisioning / decommission (send the broker SIGHUP to reload)' })),
    webhookUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    loginRatePerMin: Type.Integer({ minimum: 1, default: 10 }),
    publicRatePerMin: Type.Integer({ minimum: 1, default: 60 }),
    cases: Type.Object(
      {
        rectifyDays: Type.Integer({ minimum: 1, maximum: 60, default: 10, description: '差评 整改 deadline in working days from the case opening (Jiangxi 第十五条: 10)' }),
        appealDays: Type.Integer({ minimum: 1, maximum: 30, default: 3, description: 'staff may appeal (申诉) within this many working days of the case opening' }),
        reviewDays: Type.Integer({ minimum: 1, maximum: 30, default: 3, description: 'an appeal is reviewed (复核) within this many working days' }),
        maxExtensions: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'deadline extensions per case' }),
        maxExtensionDays: Type.Integer({ minimum: 1, maximum: 60, default: 10, description: 'working days one extension may add' }),
        checkEveryS: Type.Integer({ minimum: 1, default: 60, description: 'how often overdue cases and appeals are looked for' }),
      },
      { additionalProperties: false, default: {}, description: '差评 follow-up (docs/cases.md); defaults from the policy texts' },
    ),
    province: Type.Optional(Type.Unknown({ description: 'forwarding profile (hub/src/forward/profile.ts validates it); forwarding runs only when present' })),
    logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('silent')], { default: 'info' }),
  },
  { additionalProperties: false },
);
export type HubConfig = Readonly<Static<typeof HubConfigSchema>>;

/** Merges defaults, file and overrides; throws HCP_CONFIG_INVALID listing every error. */
export function makeConfig(overrides: Record<string, unknown> = {}, file?: string): HubConfig {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new HcpError('HCP_CONFIG_UNREADABLE', { file }, { cause: err, message: `cannot read config file ${file}` });
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new HcpError('HCP_CONFIG_INVALID', { file, errors: [{ field: '', rule: 'valid JSON' }] }, { cause: err, message: `config file ${file} is not valid JSON` });
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const withDefaults = Value.Default(HubConfigSchema, merged);
  const r = validate(HubConfigSchema, withDefaults);
  if (!r.ok) throw new HcpError('HCP_CONFIG_INVALID', { errors: r.errors }, { message: `configuration is invalid: ${formatErrors(r.errors)}` });
  return Object.freeze({ ...r.value, dataDir: resolve(r.value.dataDir) });
}
