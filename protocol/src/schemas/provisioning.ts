import { Type, type Static } from '@sinclair/typebox';
import { DeviceRuntimeSettings } from './commands.js';
import { DeviceId, HallId, IndicatorList, V1, WindowId } from './common.js';
import { CLAIM_CODE_PATTERN } from '../ids.js';

/**
 * Device → hub over HTTP: `POST /api/provision/exchange`. The device shows `claimCode` on screen;
 * until a technician claims it on the hub, the answer is 202 HCP_CLAIM_PENDING and the device polls.
 */
export const ProvisionRequest = Type.Object(
  {
    v: V1,
    claimCode: Type.String({ pattern: CLAIM_CODE_PATTERN }),
    hardwareId: Type.String({ minLength: 1, maxLength: 128, description: 'stable id of the board (e.g. Pi serial)' }),
    model: Type.String({ maxLength: 64 }),
    appVersion: Type.String({ maxLength: 32 }),
  },
  { additionalProperties: false },
);
export type ProvisionRequest = Static<typeof ProvisionRequest>;

export const ProvisionResponse = Type.Object(
  {
    v: V1,
    hallId: HallId,
    deviceId: DeviceId,
    windowId: WindowId,
    mqtt: Type.Object(
      {
        url: Type.String({ maxLength: 512 }),
        username: Type.String({ minLength: 1, maxLength: 128 }),
        password: Type.String({ minLength: 16, maxLength: 256 }),
        clientId: Type.String({ minLength: 1, maxLength: 128 }),
      },
      { additionalProperties: false },
    ),
    signingKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'base64url 32-byte HMAC key' }),
    hubUrl: Type.String({ maxLength: 512 }),
    settings: DeviceRuntimeSettings,
    indicators: Type.Union([IndicatorList, Type.Null()]),
  },
  { additionalProperties: false },
);
export type ProvisionResponse = Static<typeof ProvisionResponse>;
