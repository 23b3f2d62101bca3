import { Type, type Static } from '@sinclair/typebox';
import { CaseNumber, Instant, ServiceItem, WindowId } from './common.js';

/** Applicant (evaluator) data: personal, encrypted at rest by the hub, never sent to a device. */
export const Applicant = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    idType: Type.String({ pattern: '^[0-9]{3}$', description: 'userPageType, 111 = 居民身份证' }),
    idNumber: Type.String({ minLength: 1, maxLength: 64 }),
    phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{5,20}$' })),
    userType: Type.Union([
      Type.Literal('person'), Type.Literal('enterprise'), Type.Literal('public-institution'), Type.Literal('social-org'),
      Type.Literal('unincorporated'), Type.Literal('government'), Type.Literal('other'),
    ]),
  },
  { additionalProperties: false },
);
export type Applicant = Static<typeof Applicant>;

/** Business / queue system → hub: `POST /api/sessions` (API token). */
export const SessionOpenRequest = Type.Object(
  {
    windowId: WindowId,
    caseNumbers: Type.Array(CaseNumber, { minItems: 1, maxItems: 100, uniqueItems: true }),
    item: ServiceItem,
    staffId: Type.String({ minLength: 1, maxLength: 64 }),
    applicant: Type.Optional(Applicant),
    servedAt: Type.Optional(Instant),
    caseStatus: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('in-progress'), Type.Literal('completed')])),
    promiseKind: Type.Optional(Type.Union([Type.Literal('immediate'), Type.Literal('promised')])),
    externalRef: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type SessionOpenRequest = Static<typeof SessionOpenRequest>;

export const SessionOutcome = Type.Union([
  Type.Literal('pending'),
  Type.Literal('rated'),
  Type.Literal('timed-out'),
  Type.Literal('cancelled'),
  Type.Literal('superseded'),
]);
export type SessionOutcome = Static<typeof SessionOutcome>;

export const SessionView = Type.Object({
  id: Type.String(),
  windowId: WindowId,
  deviceId: Type.Union([Type.String(), Type.Null()]),
  caseNumbers: Type.Array(Type.String()),
  itemCode: Type.String(),
  staffId: Type.String(),
  outcome: SessionOutcome,
  ratingId: Type.Union([Type.String(), Type.Null()]),
  openedAt: Instant,
  endedAt: Type.Union([Instant, Type.Null()]),
  applicant: Type.Optional(Type.Object({ name: Type.String(), idNumber: Type.String(), phone: Type.Optional(Type.String()) }, { description: 'masked' })),
});
export type SessionView = Static<typeof SessionView>;
