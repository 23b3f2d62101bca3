import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { canonicalize, signRating, verifyRating, type Rating, type UnsignedRating } from '@hcp/protocol';
import { RatingSigner, canonicalRating } from '../../src/session/sign.js';

const key = randomBytes(32).toString('base64url');

// Any JSON-ish string, including ones JSON must escape (quotes, controls, lone surrogates, CJK).
const str = fc.string({ unit: 'binary', maxLength: 24 });
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const unsigned: fc.Arbitrary<UnsignedRating> = fc.record(
  {
    v: fc.constant(1 as const),
    id: fc.uuid(),
    hallId: str,
    deviceId: str,
    windowId: str,
    sessionId: nullable(str),
    caseNumbers: fc.array(str, { maxLength: 4 }),
    staffId: nullable(str),
    itemCode: nullable(str),
    level: fc.constantFrom(1, 2, 3, 4, 5),
    indicators: fc.array(str, { maxLength: 3 }),
    indicatorVersion: nullable(str),
    subScores: fc.dictionary(str, fc.constantFrom(1, 2, 3, 4, 5), { maxKeys: 3 }),
    text: str,
    channel: fc.constantFrom(4, 5),
    assessNumber: fc.constantFrom(1, 2),
    origin: fc.constantFrom('session', 'staff-key', 'walk-up'),
    flags: fc.subarray(['walk-up', 'no-reason-timeout', 'clock-untrusted'] as const),
    givenAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    clock: fc.record({ trusted: fc.boolean(), source: fc.constantFrom('ntp', 'hub', 'none'), bootId: str, monoMs: fc.nat() }),
    seq: fc.integer({ min: 1 }),
  },
  // subScores and text are optional in the schema: generate ratings with and without them.
  { requiredKeys: ['v', 'id', 'hallId', 'deviceId', 'windowId', 'sessionId', 'caseNumbers', 'staffId', 'itemCode', 'level', 'indicators', 'indicatorVersion', 'channel', 'assessNumber', 'origin', 'flags', 'givenAt', 'clock', 'seq'] },
) as fc.Arbitrary<UnsignedRating>;

describe('RatingSigner', () => {
  it('builds exactly the protocol canonical text, and a signature and JSON the hub verifies', () => {
    const signer = new RatingSigner(key);
    fc.assert(
      fc.property(unsigned, (u) => {
        expect(canonicalRating(u)).toBe(canonicalize(u));
        const want = signRating(structuredClone(u), key);
        const { rating, json } = signer.sign(structuredClone(u));
        expect(rating.sig).toBe(want.sig);
        const parsed = JSON.parse(json) as Rating;
        expect(parsed).toEqual(want);
        expect(verifyRating(parsed, key)).toBe(true);
      }),
      { numRuns: 500, seed: 20261121 },
    );
  });

  it('falls back to the generic walk for a key it does not know, so the signature still covers it', () => {
    const u = { v: 1, id: 'x', extra: '新字段' } as unknown as UnsignedRating;
    expect(canonicalRating(u)).toBe(canonicalize(u));
    expect(canonicalRating(u)).toContain('"extra":"新字段"');
  });

  it('a non-finite number is refused as the protocol refuses it', () => {
    const u = { v: 1, id: 'x', seq: Number.NaN } as unknown as UnsignedRating;
    expect(() => canonicalRating(u)).toThrow(expect.objectContaining({ code: 'HCP_VALIDATION', detail: { rule: 'finite number' } }));
    expect(() => canonicalize(u)).toThrow(expect.objectContaining({ code: 'HCP_VALIDATION', detail: { rule: 'finite number' } }));
  });
});
