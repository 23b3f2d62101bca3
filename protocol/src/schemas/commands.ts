import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CaseNumber, Instant, IndicatorList, ServiceItem, StaffCard, Uuid, V1 } from './common.js';

/** Settings the hub may change at run time; every field optional, defaults live in the device config schema. */
export const DeviceRuntimeSettings = Type.Object(
  {
    responseIntervalMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: 'presses inside this interval after the last are ignored' })),
    promptTimeoutS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    reasonTimeoutS: Type.Optional(Type.Integer({ minimum: 5, maximum: 600 })),
    thanksS: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
    badReviewWithoutReason: Type.Optional(Type.Union([Type.Literal('discard'), Type.Literal('accept-flagged')])),
    walkUp: Type.Optional(Type.Union([Type.Literal('refuse'), Type.Literal('accept-flagged')])),
    telemetryIntervalS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    voicePrompts: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DeviceRuntimeSettings = Static<typeof DeviceRuntimeSettings>;

export const SessionStartArgs = Type.Object(
  {
    sessionId: Type.String({ minLength: 1, maxLength: 64 }),
    caseNumbers: Type.Array(CaseNumber, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'one or many (批量: one rating for all)' }),
    staff: StaffCard,
    item: Type.Union([ServiceItem, Type.Null()]),
    rateUrl: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()], { description: 'URL for the QR code: rate later on a phone' }),
    expiresAt: Instant,
  },
  { additionalProperties: false },
);
export type SessionStartArgs = Static<typeof SessionStartArgs>;

function command<T extends string, A extends TSchema>(type: T, args: A) {
  return Type.Object(
    { v: V1, id: Uuid, at: Instant, type: Type.Literal(type), args },
    { additionalProperties: false, $id: `Command.${type}` },
  );
}

export const SessionStartCommand = command('session.start', SessionStartArgs);
export const SessionCancelCommand = command(
  'session.cancel',
  Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 64 }), reason: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
);
export const ConfigUpdateCommand = command('config.update', Type.Object({ settings: DeviceRuntimeSettings }, { additionalProperties: false }));
export const IndicatorsSetCommand = command('indicators.set', Type.Object({ list: IndicatorList }, { additionalProperties: false }));
export const TimeSyncCommand = command(
  'time.sync',
  Type.Object({
    now: Instant,
    nowMs: Type.Integer({ minimum: 0 }),
    echo: Type.Optional(Type.Object(
      { bootId: Type.String({ maxLength: 64 }), monoMs: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false, description: "bootId and monoMs of the `online` status this answers: the device adopts the time only if the round trip is short (a sync queued through a broker outage is stale)" },
    )),
  }, { additionalProperties: false }),
);
export type TimeSyncArgs = Static<typeof TimeSyncCommand>['args'];

/** The time.sync that answers an `online` status at `nowMs`, echoing its boot id and monotonic ms when it has both. */
export function timeSyncFor(status: { readonly bootId?: string | undefined; readonly monoMs?: number | undefined }, nowMs: number): TimeSyncArgs {
  const { bootId, monoMs } = status;
  return { now: new Date(nowMs).toISOString(), nowMs, ...(bootId !== undefined && monoMs !== undefined ? { echo: { bootId, monoMs } } : {}) };
}

export const DisplayMessageCommand = command(
  'display.message',
  Type.Object({ text: Type.String({ minLength: 1, maxLength: 200 }), seconds: Type.Integer({ minimum: 1, maximum: 3600 }) }, { additionalProperties: false }),
);
export const RebootCommand = command('reboot', Type.Object({}, { additionalProperties: false }));
export const DecommissionCommand = command('decommission', Type.Object({}, { additionalProperties: false }));

export const Command = Type.Union([
  SessionStartCommand,
  SessionCancelCommand,
  ConfigUpdateCommand,
  IndicatorsSetCommand,
  TimeSyncCommand,
  DisplayMessageCommand,
  RebootCommand,
  DecommissionCommand,
]);
export type Command = Static<typeof Command>;
export type CommandType = Command['type'];
export const COMMAND_TYPES: readonly CommandType[] = [
  'session.start', 'session.cancel', 'config.update', 'indicators.set', 'time.sync', 'display.message', 'reboot', 'decommission',
];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

/** The device's immediate answer to a command (accepted or refused with a code). */
export const CommandResult = Type.Object(
  {
    v: V1,
    commandId: Uuid,
    type: Type.String({ maxLength: 32 }),
    ok: Type.Boolean(),
    code: Type.Optional(Type.String({ maxLength: 64 })),
    detail: Type.Optional(Type.String({ maxLength: 500 })),
    at: Instant,
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResult>;

/** Device events: the outcome of a session (the rating itself travels on the ratings topic). */
export const DeviceEvent = Type.Object(
  {
    v: V1,
    at: Instant,
    type: Type.Literal('session.ended'),
    sessionId: Type.String({ minLength: 1, maxLength: 64 }),
    outcome: Type.Union([Type.Literal('rated'), Type.Literal('timed-out'), Type.Literal('cancelled'), Type.Literal('superseded')]),
    ratingId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type DeviceEvent = Static<typeof DeviceEvent>;
