import { Type, type Static } from '@sinclair/typebox';
import { ClockInfo, Instant, V1 } from './common.js';

/**
 * Retained status. The device publishes `online` on every (re)connect and registers an LWT of
 * `offline` / reason `lwt`, so the broker announces an unclean loss. A clean stop publishes
 * `offline` / `shutdown` itself.
 */
export const DeviceStatus = Type.Object(
  {
    v: V1,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    at: Instant,
    reason: Type.Optional(Type.Union([Type.Literal('lwt'), Type.Literal('shutdown'), Type.Literal('decommissioned'), Type.Literal('reboot')])),
    bootId: Type.Optional(Type.String({ maxLength: 64 })),
    monoMs: Type.Optional(Type.Integer({ minimum: 0, description: "device monotonic ms when sent; the hub echoes it in time.sync so the device can measure the round trip and refuse a stale sync" })),
  },
  { additionalProperties: false },
);
export type DeviceStatus = Static<typeof DeviceStatus>;

export const InputDriverKind = Type.Union([Type.Literal('gpio'), Type.Literal('serial'), Type.Literal('hid'), Type.Literal('none')]);
export type InputDriverKind = Static<typeof InputDriverKind>;

/** Input driver state machine, reported as is. */
export const InputState = Type.Union([
  Type.Literal('stopped'),
  Type.Literal('connecting'),
  Type.Literal('ready'),
  Type.Literal('reconnecting'),
  Type.Literal('failed'),
]);
export type InputState = Static<typeof InputState>;

export const SessionStateName = Type.Union([
  Type.Literal('idle'),
  Type.Literal('prompt'),
  Type.Literal('reasons'),
  Type.Literal('thanks'),
  Type.Literal('refusing'),
  Type.Literal('unprovisioned'),
]);
export type SessionStateName = Static<typeof SessionStateName>;

export const Telemetry = Type.Object(
  {
    v: V1,
    at: Instant,
    uptimeS: Type.Number({ minimum: 0 }),
    backlog: Type.Integer({ minimum: 0, description: 'ratings in the outbox not yet acked' }),
    oldestUnsyncedAgeS: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    lastAckAt: Type.Union([Instant, Type.Null()]),
    input: Type.Object(
      {
        driver: InputDriverKind,
        state: InputState,
        detail: Type.Optional(Type.String({ maxLength: 200 })),
        dropped: Type.Optional(Type.Integer({ minimum: 0, description: 'bad frames / ignored presses' })),
      },
      { additionalProperties: false },
    ),
    session: SessionStateName,
    diskFreeBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    cpuTempC: Type.Union([Type.Number(), Type.Null()]),
    clock: ClockInfo,
    rssBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    versions: Type.Object(
      {
        app: Type.String({ maxLength: 32 }),
        node: Type.String({ maxLength: 32 }),
        protocol: Type.Integer({ minimum: 1 }),
        indicators: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type Telemetry = Static<typeof Telemetry>;
