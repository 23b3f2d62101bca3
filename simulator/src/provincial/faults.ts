/**
 * Faults on demand for the provincial simulator (docs/provincial-generic.md §6). The settings are
 * a TypeBox schema (flags, `PUT /sim/faults` and `setFaults()` all go through it); the outage is a
 * small state machine on the simulator's injected clock.
 */
import { Type, type Static } from '@sinclair/typebox';

const Share = Type.Number({ minimum: 0, maximum: 1 });
const Ms = Type.Integer({ minimum: 0, maximum: 60_000 });

export const OutageMode = Type.Union([Type.Literal('refuse'), Type.Literal('reset'), Type.Literal('hang')]);
export type OutageMode = Static<typeof OutageMode>;
export const DropWhen = Type.Union([Type.Literal('before-store'), Type.Literal('after-store'), Type.Literal('either')]);
export type DropWhen = Static<typeof DropWhen>;

export const FaultSettings = Type.Object(
  {
    failRate: Share,
    failAfterStoreRate: Share,
    dropRate: Share,
    dropWhen: DropWhen,
    duplicateRate: Share,
    latencyMs: Ms,
    jitterMs: Ms,
    outageAfter: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    outageForS: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
    outageMode: OutageMode,
  },
  { additionalProperties: false },
);
export type FaultSettings = Static<typeof FaultSettings>;
export const FaultPatch = Type.Partial(FaultSettings, { additionalProperties: false });
export type FaultPatch = Static<typeof FaultPatch>;

export const NO_FAULTS: FaultSettings = {
  failRate: 0,
  failAfterStoreRate: 0,
  dropRate: 0,
  dropWhen: 'either',
  duplicateRate: 0,
  latencyMs: 0,
  jitterMs: 0,
  outageAfter: null,
  outageForS: 30,
  outageMode: 'refuse',
};

export const StartOutage = Type.Object(
  { forSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }), mode: Type.Optional(OutageMode) },
  { additionalProperties: false },
);
export type StartOutage = Static<typeof StartOutage>;

/** Outage state: none, waiting for N more requests, active until a time, or over. */
export type OutageState =
  | { readonly kind: 'none' }
  | { readonly kind: 'scheduled'; readonly remaining: number; readonly forS: number; readonly mode: OutageMode }
  | { readonly kind: 'active'; readonly untilMs: number; readonly mode: OutageMode }
  | { readonly kind: 'over'; readonly endedMs: number };

export function scheduleOutage(s: FaultSettings): OutageState {
  return s.outageAfter === null ? { kind: 'none' } : { kind: 'scheduled', remaining: s.outageAfter, forS: s.outageForS, mode: s.outageMode };
}

/**
 * Advances the outage for one incoming request at `nowMs` and says whether it falls in the outage.
 * A scheduled outage starts at the request after `remaining` requests have passed.
 */
export function outageOnRequest(state: OutageState, nowMs: number): { next: OutageState; mode: OutageMode | null } {
  const s = outageAt(state, nowMs);
  if (s.kind === 'scheduled') {
    if (s.remaining > 0) return { next: { ...s, remaining: s.remaining - 1 }, mode: null };
    return { next: { kind: 'active', untilMs: nowMs + s.forS * 1000, mode: s.mode }, mode: s.mode };
  }
  if (s.kind === 'active') return { next: s, mode: s.mode };
  return { next: s, mode: null };
}

/** The state seen at `nowMs` without a request: an active outage whose time is up is over. */
export function outageAt(state: OutageState, nowMs: number): OutageState {
  if (state.kind === 'active' && nowMs >= state.untilMs) return { kind: 'over', endedMs: state.untilMs };
  return state;
}
