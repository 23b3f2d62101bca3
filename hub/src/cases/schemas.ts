/** TypeBox schemas of the 差评 case API (routes.ts): the single source of validation and of the OpenAPI page. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CASE_STATES } from './machine.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();
const NStr = Nullable(Type.String());

export const CaseId = Type.String({ pattern: '^C-\\d{8}-\\d{4,6}$', description: 'case number C-<China date>-<n>' });
/** Free text a person writes: required, not only blanks. */
const Text = (max: number, description: string) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S', description });
const Version = Type.Integer({ minimum: 1, description: 'the case version you read (optimistic concurrency: 409 HCP_CASE_STALE if it changed)' });
const Claim = Type.Union([Type.Literal('mistaken'), Type.Literal('malicious')], { description: 'mistaken 误评 | malicious 恶意差评' });
const State = Type.Union(CASE_STATES.map((s) => Type.Literal(s)));
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'China calendar day' });

export const CaseParams = Type.Object({ id: CaseId }, { additionalProperties: false });

export const CaseQuery = Type.Object({
  state: Type.Optional(Type.Union([...CASE_STATES.map((s) => Type.Literal(s)), Type.Literal('open'), Type.Literal('closed')])),
  overdue: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  windowId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  staffId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  appeal: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('any')])),
  limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: '1..999, default 50' })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })),
}, { additionalProperties: false });

export const TransitionIn = Type.Object({
  version: Version,
  to: Type.Union([Type.Literal('contacted'), Type.Literal('rectifying'), Type.Literal('done'), Type.Literal('unable')], {
    description: 'contacted 已回访 (note = 回访记录) | rectifying 整改中 (note = 整改措施) | done 已办结 (note = 整改结果/反馈) | unable 无法整改 (note = 原因)',
  }),
  note: Text(2000, 'what was done, or why (no applicant ID numbers or phone numbers)'),
}, { additionalProperties: false });
export type TransitionIn = Static<typeof TransitionIn>;

export const ExtendIn = Type.Object({
  version: Version,
  days: Type.Integer({ minimum: 1, maximum: 60, description: 'working days to add (at most cases.maxExtensionDays)' }),
  reason: Text(1000, 'why the deadline cannot be met'),
}, { additionalProperties: false });

export const AppealIn = Type.Object({
  version: Version,
  claim: Claim,
  grounds: Text(2000, '申诉理由 and evidence'),
  staffId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'the staff member appealing; default the case staff' })),
}, { additionalProperties: false });

export const ReviewIn = Type.Object({
  version: Version,
  decision: Type.Union([Type.Literal('upheld'), Type.Literal('rejected')], { description: 'upheld 申诉成立 (rating excluded from statistics) | rejected 驳回' }),
  reason: Type.Optional(Claim),
  note: Text(2000, '复核意见'),
}, { additionalProperties: false });

const Appeal = Type.Object({
  state: Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('upheld'), Type.Literal('rejected')]),
  id: NStr, staffId: NStr, claim: Nullable(Claim), grounds: NStr, filedBy: NStr, filedAt: NStr, reviewDueAt: NStr,
  decidedBy: NStr, decidedAt: NStr, decisionNote: NStr, reviewOverdue: Type.Boolean(),
});

export const CaseView = Type.Object({
  id: Str, ratingId: Str, hallId: Str, windowId: Str, windowName: NStr, staffId: NStr, staffName: NStr, sessionId: NStr,
  level: Type.Integer(), state: State, openedAt: Str, dueAt: Str, overdue: Type.Boolean(),
  contactedAt: NStr, rectifyingAt: NStr, closedAt: NStr, closeReason: NStr, updatedAt: Str, version: Type.Integer(), extensions: Type.Integer(),
  appeal: Appeal, appealClosesAt: Str,
  excluded: Type.Union([Type.Object({ reason: Claim, decidedBy: Str, decidedAt: Str }), Type.Null()]),
});

export const CaseDetail = Type.Composite([CaseView, Type.Object({
  rating: Type.Union([Type.Object({
    givenAt: Str, indicators: Type.Array(Str), text: NStr, channel: Type.Union([Type.Integer(), Type.Null()]), itemCode: NStr, caseNumbers: Type.Array(Str),
  }), Type.Null()]),
  session: Type.Union([Type.Object({
    itemName: Str,
    applicant: Type.Union([Type.Object({ name: Str, idNumber: Str, phone: Type.Optional(Str) }, { description: 'masked' }), Type.Null()]),
  }), Type.Null()]),
  steps: Type.Array(Type.Object({ id: Type.Integer(), at: Str, actor: Str, kind: Str, from: State, to: State, note: NStr, detail: Type.Unknown() })),
  extensionList: Type.Array(Type.Object({ days: Type.Integer(), reason: Str, fromDueAt: Str, toDueAt: Str, grantedBy: Str, grantedAt: Str })),
})]);

export const CaseList = Type.Object({ total: Type.Integer(), items: Type.Array(CaseView) });

export const CaseSummary = Type.Object({
  open: Type.Integer(), overdue: Type.Integer(), appealsPending: Type.Integer(), reviewsOverdue: Type.Integer(),
  byState: Type.Object(Object.fromEntries(CASE_STATES.map((s) => [s, Type.Integer()]))),
  policy: Type.Object({ rectifyDays: Type.Integer(), appealDays: Type.Integer(), reviewDays: Type.Integer(), maxExtensions: Type.Integer(), maxExtensionDays: Type.Integer() }),
});
