/**
 * The device configuration: one schema, defaults only here. `loadConfig` fills defaults,
 * validates once listing every error, and freezes the result.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CLAIM_CODE_PATTERN } from '@hcp/protocol';

const Ms = (def: number, min = 0, max = 3_600_000) => Type.Integer({ minimum: min, maximum: max, default: def });

export const LevelPins = Type.Object(
  {
    '5': Type.Integer({ minimum: 0, default: 2 }),
    '4': Type.Integer({ minimum: 0, default: 3 }),
    '3': Type.Integer({ minimum: 0, default: 4 }),
    '2': Type.Integer({ minimum: 0, default: 5 }),
    '1': Type.Integer({ minimum: 0, default: 6 }),
  },
  { additionalProperties: false, default: {} },
);

/** HID usage codes (decimal, as strings) mapped to what the key means. */
export const HidAction = Type.Union([
  Type.Literal('star5'), Type.Literal('star4'), Type.Literal('star3'), Type.Literal('star2'), Type.Literal('star1'),
  Type.Literal('staff'), Type.Literal('reason1'), Type.Literal('reason2'), Type.Literal('reason3'), Type.Literal('reason4'),
  Type.Literal('reason5'),
]);
export type HidAction = Static<typeof HidAction>;

export const DeviceConfigSchema = Type.Object(
  {
    hubUrl: Type.String({ minLength: 1, maxLength: 512, default: 'http://127.0.0.1:8080', description: 'hub base URL for provisioning' }),
    model: Type.String({ minLength: 1, maxLength: 64, default: 'hcp-counter-1' }),
    hardwareId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'default: /etc/machine-id' })),
    provisioning: Type.Object(
      {
        claimCode: Type.Optional(Type.String({ pattern: CLAIM_CODE_PATTERN, description: 'a code pre-created on the hub' })),
        pollMinMs: Ms(1000, 10),
        pollMaxMs: Ms(30_000, 10),
      },
      { additionalProperties: false, default: {} },
    ),
    clock: Type.Object(
      { trustSystemClock: Type.Boolean({ default: false, description: 'true when NTP is known good on this board' }) },
      { additionalProperties: false, default: {} },
    ),
    input: Type.Object(
      {
        driver: Type.Union([Type.Literal('gpio'), Type.Literal('serial'), Type.Literal('hid'), Type.Literal('none')], { default: 'none' }),
        gpio: Type.Object(
          {
            firmataPort: Type.String({ default: '/dev/ttyACM0' }),
            /** Another IO plugin package instead of Firmata, as `package` or `package#ExportName` (e.g. a Raspberry Pi plugin). */
            ioModule: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { default: null }),
            ioOptions: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
            levelPins: LevelPins,
            staffPin: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { default: 7 }),
            /** Buttons wired to ground with pull-ups read inverted. */
            invert: Type.Boolean({ default: false }),
          },
          { additionalProperties: false, default: {} },
        ),
        serial: Type.Object(
          {
            path: Type.String({ minLength: 1, default: '/dev/ttyUSB0' }),
            baudRate: Type.Integer({ minimum: 300, maximum: 921_600, default: 9600 }),
            reopenMinMs: Ms(250, 10),
            reopenMaxMs: Ms(10_000, 10),
          },
          { additionalProperties: false, default: {} },
        ),
        hid: Type.Object(
          {
            vendorId: Type.Integer({ minimum: 0, maximum: 0xffff, default: 0 }),
            productId: Type.Integer({ minimum: 0, maximum: 0xffff, default: 0 }),
            path: Type.Optional(Type.String()),
            reopenMinMs: Ms(250, 10),
            reopenMaxMs: Ms(10_000, 10),
            keys: Type.Record(Type.String({ pattern: '^[0-9]{1,3}$' }), HidAction, {
              // USB HID usage ids: number-row 1..5 = stars, S = staff, A..E = reasons 1..5.
              default: { '30': 'star1', '31': 'star2', '32': 'star3', '33': 'star4', '34': 'star5', '22': 'staff', '4': 'reason1', '5': 'reason2', '6': 'reason3', '7': 'reason4', '8': 'reason5' },
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    screen: Type.Object(
      {
        kind: Type.Union([Type.Literal('kiosk'), Type.Literal('terminal'), Type.Literal('none')], { default: 'kiosk' }),
        kioskPort: Type.Integer({ minimum: 0, maximum: 65_535, default: 8900 }),
      },
      { additionalProperties: false, default: {} },
    ),
    session: Type.Object(
      {
        responseIntervalMs: Ms(1500, 0, 60_000),
        promptTimeoutS: Type.Integer({ minimum: 5, maximum: 3600, default: 120 }),
        reasonTimeoutS: Type.Integer({ minimum: 5, maximum: 600, default: 30 }),
        thanksS: Type.Integer({ minimum: 1, maximum: 60, default: 3 }),
        badReviewWithoutReason: Type.Union([Type.Literal('discard'), Type.Literal('accept-flagged')], { default: 'accept-flagged' }),
        walkUp: Type.Union([Type.Literal('refuse'), Type.Literal('accept-flagged')], { default: 'refuse' }),
        channel: Type.Union([Type.Literal(4), Type.Literal(5)], { default: 5, description: '评价渠道: 4 平板, 5 其他终端' }),
      },
      { additionalProperties: false, default: {} },
    ),
    sync: Type.Object(
      {
        batchSize: Type.Integer({ minimum: 1, maximum: 200, default: 100 }),
        maxInflightBatches: Type.Integer({ minimum: 1, maximum: 64, default: 8 }),
        maxRatePerS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000 }),
        ackTimeoutMs: Ms(15_000, 100),
        reconnectMinMs: Ms(500, 10),
        reconnectMaxMs: Ms(30_000, 10),
        keepaliveS: Type.Integer({ minimum: 5, maximum: 600, default: 30 }),
        connectTimeoutMs: Ms(10_000, 100),
        mqttUrl: Type.Optional(Type.String({ pattern: '^mqtts?://', description: 'broker URL to use instead of the provisioned one (a local relay, or a test proxy)' })),
      },
      { additionalProperties: false, default: {} },
    ),
    telemetry: Type.Object(
      { intervalS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }) },
      { additionalProperties: false, default: {} },
    ),
    outbox: Type.Object(
      {
        /** Refuse new sessions below this much free space on the data disk. */
        minFreeBytes: Type.Integer({ minimum: 0, default: 32 * 1024 * 1024 }),
        /** Hard cap on the outbox file (protects a small SD card); null = none. */
        maxBytes: Type.Union([Type.Integer({ minimum: 65_536 }), Type.Null()], { default: null }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      { level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }) },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type DeviceConfig = Static<typeof DeviceConfigSchema>;
