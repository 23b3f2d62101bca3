import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, HALL_ID_PATTERN, UUIDV7_PATTERN, UUID_PATTERN, WINDOW_ID_PATTERN } from '../ids.js';

/** Every message carries `v`; a new major shape is a new literal, never a silent change. */
export const V1 = Type.Literal(1, { description: 'message schema version' });

export const HallId = Type.String({ pattern: HALL_ID_PATTERN, description: 'hall id' });
export const DeviceId = Type.String({ pattern: DEVICE_ID_PATTERN, description: 'device id' });
export const WindowId = Type.String({ pattern: WINDOW_ID_PATTERN, description: 'window id' });
export const RatingId = Type.String({ pattern: UUIDV7_PATTERN, description: 'UUIDv7 made on the device; idempotency key end to end' });
export const Uuid = Type.String({ pattern: UUID_PATTERN });
/** ISO 8601 instant with zone, e.g. 2026-11-21T08:00:00.000Z. */
export const Instant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601 instant',
});
export const LevelSchema = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4), Type.Literal(5)], {
  description: '5 非常满意 … 1 非常不满意 (national order)',
});
export const ChannelSchema = Type.Union(
  [Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4), Type.Literal(5), Type.Literal(6), Type.Literal(7)],
  { description: '评价渠道 pf' },
);
/** 办件编号: the contract allows at most 50 characters; printable, no separators we use. */
export const CaseNumber = Type.String({ minLength: 1, maxLength: 50, pattern: '^[^\\s,|]+$' });
export const IndicatorCode = Type.String({ minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9_-]+$' });
export const ShortText = Type.String({ maxLength: 120 });

export const StaffCard = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 40 }),
    number: Type.String({ maxLength: 32, description: 'staff number shown on the card (工号)' }),
    photoUrl: Type.Optional(Type.String({ maxLength: 512 })),
    starLevel: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
    title: Type.Optional(ShortText),
  },
  { additionalProperties: false },
);
export type StaffCard = Static<typeof StaffCard>;

export const ServiceItem = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64, description: '事项编码 taskCode' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type ServiceItem = Static<typeof ServiceItem>;

export const Indicator = Type.Object(
  {
    code: IndicatorCode,
    name: Type.String({ minLength: 1, maxLength: 60 }),
    group: Type.Optional(Type.String({ maxLength: 30, description: 'e.g. 服务态度 / 服务效率' })),
  },
  { additionalProperties: false },
);
export type Indicator = Static<typeof Indicator>;

export const IndicatorList = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 64 }),
    items: Type.Array(Indicator, { maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type IndicatorList = Static<typeof IndicatorList>;

export const ClockInfo = Type.Object(
  {
    trusted: Type.Boolean({ description: 'true once NTP or a hub time-sync set the clock' }),
    source: Type.Union([Type.Literal('ntp'), Type.Literal('hub'), Type.Literal('none')]),
    bootId: Type.String({ minLength: 1, maxLength: 64, description: 'changes at every boot of the device' }),
    monoMs: Type.Integer({ minimum: 0, description: 'monotonic ms since boot when the rating was given' }),
  },
  { additionalProperties: false },
);
export type ClockInfo = Static<typeof ClockInfo>;
