/** Hub-local TypeBox schemas for the registry and operator API (protocol holds the device contract). */
import { Type, type Static } from '@sinclair/typebox';
import { CLAIM_CODE_PATTERN, DeviceRuntimeSettings, HallId, IndicatorList, WindowId } from '@hcp/protocol';

export const ErrorBody = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    detail: Type.Optional(Type.Unknown()),
  },
  { $id: 'ErrorBody', description: 'every error answer; codes from docs/errors.md' },
);

const Name = Type.String({ minLength: 1, maxLength: 100 });
/** 部门 / 入驻单位 a window belongs to (statistics per department, docs/statistics.md). */
const Department = Type.String({ minLength: 1, maxLength: 100 });
export const StaffId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' });

export const HallIn = Type.Object({ id: HallId, name: Name, address: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });
export const HallPatch = Type.Object({ name: Type.Optional(Name), address: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false, minProperties: 1 });
export const Hall = Type.Object({ id: Type.String(), name: Type.String(), address: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), updatedAt: Type.String() });

export const WindowIn = Type.Object(
  {
    id: WindowId, hallId: HallId, name: Name, staffId: Type.Optional(Type.Union([StaffId, Type.Null()])),
    department: Type.Optional(Type.Union([Department, Type.Null()])),
  },
  { additionalProperties: false },
);
export const WindowPatch = Type.Object(
  { name: Type.Optional(Name), staffId: Type.Optional(Type.Union([StaffId, Type.Null()])), department: Type.Optional(Type.Union([Department, Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
);
export const Window = Type.Object({
  id: Type.String(), hallId: Type.String(), name: Type.String(), staffId: Type.Union([Type.String(), Type.Null()]),
  department: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), updatedAt: Type.String(),
});

export const StaffIn = Type.Object(
  {
    id: StaffId, name: Type.String({ minLength: 1, maxLength: 40 }), number: Type.String({ maxLength: 32 }),
    title: Type.Optional(Type.String({ maxLength: 120 })), starLevel: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
  },
  { additionalProperties: false },
);
export const StaffPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })), number: Type.Optional(Type.String({ maxLength: 32 })),
    title: Type.Optional(Type.Union([Type.String({ maxLength: 120 }), Type.Null()])),
    starLevel: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 5 }), Type.Null()])), active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const Staff = Type.Object({
  id: Type.String(), name: Type.String(), number: Type.String(), title: Type.Union([Type.String(), Type.Null()]),
  starLevel: Type.Union([Type.Integer(), Type.Null()]), hasPhoto: Type.Boolean(), active: Type.Boolean(), createdAt: Type.String(), updatedAt: Type.String(),
});

export const Device = Type.Object({
  id: Type.String(), hallId: Type.String(), windowId: Type.Union([Type.String(), Type.Null()]), hardwareId: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]), appVersion: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  onlineState: Type.Union([Type.Literal('unknown'), Type.Literal('online'), Type.Literal('offline')]),
  offlineReason: Type.Union([Type.String(), Type.Null()]), lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  telemetry: Type.Union([Type.Unknown(), Type.Null()]), createdAt: Type.String(), revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export const DevicePatch = Type.Object({ windowId: Type.Union([WindowId, Type.Null()]) }, { additionalProperties: false });

export const ClaimRequest = Type.Object({ claimCode: Type.String({ pattern: CLAIM_CODE_PATTERN }), windowId: WindowId }, { additionalProperties: false });
export const CodeRequest = Type.Object({ windowId: WindowId }, { additionalProperties: false });
export const ClaimCodeView = Type.Object({
  code: Type.String(), state: Type.String(), windowId: Type.Union([Type.String(), Type.Null()]), hardwareId: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]), deviceId: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), expiresAt: Type.String(),
});

export const ROLES = ['admin', 'technician', 'operator', 'manager', 'auditor'] as const;
export const TOKEN_ROLES = ['business', 'broker', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number] | (typeof TOKEN_ROLES)[number];
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const TokenRoleSchema = Type.Union(TOKEN_ROLES.map((r) => Type.Literal(r)));

export const LoginRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export const UserIn = Type.Object(
  {
    username: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' }), password: Type.String({ minLength: 10, maxLength: 256 }),
    role: RoleSchema, displayName: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export const User = Type.Object({ id: Type.Integer(), username: Type.String(), role: Type.String(), displayName: Type.Union([Type.String(), Type.Null()]), disabled: Type.Boolean(), createdAt: Type.String() });
export const TokenIn = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), role: TokenRoleSchema }, { additionalProperties: false });

export const SettingsIn = Type.Object({ settings: DeviceRuntimeSettings }, { additionalProperties: false });
export const IndicatorsIn = Type.Object({ list: IndicatorList }, { additionalProperties: false });

export type HallIn = Static<typeof HallIn>;
export type WindowIn = Static<typeof WindowIn>;
export type StaffIn = Static<typeof StaffIn>;
