import { Type, type Static } from '@sinclair/typebox';
import {
  CaseNumber, ChannelSchema, ClockInfo, DeviceId, HallId, IndicatorCode, Instant, LevelSchema, RatingId, V1, WindowId,
} from './common.js';

/** Where the rating session came from. */
export const RatingOrigin = Type.Union([
  Type.Literal('session', { description: 'a session pushed by the hub from the business system' }),
  Type.Literal('staff-key', { description: 'staff pressed the start key on the device' }),
  Type.Literal('walk-up', { description: 'no session; accepted because config allows it (flagged)' }),
  Type.Literal('mobile', { description: 'rated later on a phone via the QR code' }),
  Type.Literal('default', { description: 'default rating made by the hub after the rating window closed' }),
]);
export type RatingOrigin = Static<typeof RatingOrigin>;

/** Flags the device or hub attaches; never silently dropped. */
export const RatingFlag = Type.Union([
  Type.Literal('walk-up'),
  Type.Literal('no-reason-timeout', { description: '差评 given, reason screen timed out; accepted per config' }),
  Type.Literal('clock-untrusted', { description: 'device clock not trusted when given; hub corrects' }),
  Type.Literal('clock-corrected', { description: 'hub corrected givenAt from boot id + monotonic time' }),
  Type.Literal('default-rating'),
]);
export type RatingFlag = Static<typeof RatingFlag>;



/**
 * The canonical rating. One per citizen decision; a batch session covering several cases is one
 * rating with several `caseNumbers` (the hub forwards one record per case).
 * `sig` is HMAC-SHA256 over the canonical encoding of every other field (see signature.ts).
 */
export const Rating = Type.Object(
  {
    v: V1,
    id: RatingId,
    hallId: HallId,
    deviceId: DeviceId,
    windowId: WindowId,
    sessionId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    caseNumbers: Type.Array(CaseNumber, { maxItems: 100, uniqueItems: true }),
    staffId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    itemCode: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    level: LevelSchema,
    indicators: Type.Array(IndicatorCode, { maxItems: 20, uniqueItems: true, description: '差评 indicator codes (evalDetail)' }),
    indicatorVersion: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    subScores: Type.Optional(Type.Record(IndicatorCode, LevelSchema, { description: 'optional per-aspect levels' })),
    text: Type.Optional(Type.String({ maxLength: 500, description: 'writingEvaluation' })),
    channel: ChannelSchema,
    assessNumber: Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 first, 2 追加 follow-up' }),
    origin: RatingOrigin,
    flags: Type.Array(RatingFlag, { maxItems: 8, uniqueItems: true }),
    givenAt: Instant,
    clock: ClockInfo,
    seq: Type.Integer({ minimum: 1, description: 'per-device sequence number, strictly increasing' }),
    sig: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'base64url HMAC-SHA256' }),
  },
  { additionalProperties: false },
);
export type Rating = Static<typeof Rating>;
export type UnsignedRating = Omit<Rating, 'sig'>;

/** What a device publishes on its ratings topic: an ordered batch from its outbox. */
export const RatingBatch = Type.Object(
  {
    v: V1,
    ratings: Type.Array(Rating, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
);
export type RatingBatch = Static<typeof RatingBatch>;

export const AckResult = Type.Union([
  Type.Literal('stored', { description: 'committed now' }),
  Type.Literal('duplicate', { description: 'already stored before; safe to drop from the outbox' }),
  Type.Literal('rejected', { description: 'will never be stored; code says why; device keeps it aside' }),
]);
export type AckResult = Static<typeof AckResult>;

/** The hub's answer on the device's acks topic, sent only after the commit. */
export const Ack = Type.Object(
  {
    v: V1,
    at: Instant,
    items: Type.Array(
      Type.Object(
        {
          id: RatingId,
          result: AckResult,
          code: Type.Optional(Type.String({ maxLength: 64 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 200 },
    ),
  },
  { additionalProperties: false },
);
export type Ack = Static<typeof Ack>;
