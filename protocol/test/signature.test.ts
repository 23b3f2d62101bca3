import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalize, signRating, verifyRating, type Rating, type UnsignedRating } from '../src/index.js';
import { EXAMPLE_KEY, exampleRating, exampleUnsignedRating } from '../src/examples.js';

const reorder = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).reverse().map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? reorder(v as Record<string, unknown>) : v]));

describe('canonical encoding', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: [3, 1, 2] }, '{"a":[3,1,2]}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [{ s: '王"\n' }, '{"s":"王\\"\\n"}'],
    [{ n: { z: true, y: false } }, '{"n":{"y":false,"z":true}}'],
  ])('%j → %s', (input, text) => {
    expect(canonicalize(input)).toBe(text);
  });
  it('rejects non-finite numbers', () => {
    expect(() => canonicalize({ n: Infinity })).toThrow();
  });
});

describe('rating signature', () => {
  it('verifies what it signed', () => {
    expect(verifyRating(exampleRating, EXAMPLE_KEY)).toBe(true);
  });
  it('does not depend on key order or JSON whitespace', () => {
    const reordered = reorder(exampleRating as unknown as Record<string, unknown>) as unknown as Rating;
    const reparsed = JSON.parse(JSON.stringify(exampleRating, null, 4)) as Rating;
    expect(verifyRating(reordered, EXAMPLE_KEY)).toBe(true);
    expect(verifyRating(reparsed, EXAMPLE_KEY)).toBe(true);
    expect(signRating(reorder(exampleUnsignedRating as unknown as Record<string, unknown>) as unknown as UnsignedRating, EXAMPLE_KEY).sig).toBe(exampleRating.sig);
  });
  it('fails with another key', () => {
    const other = Buffer.alloc(32, 7).toString('base64url');
    expect(verifyRating(exampleRating, other)).toBe(false);
  });
  it('fails on a malformed signature without throwing', () => {
    expect(verifyRating({ ...exampleRating, sig: 'x' }, EXAMPLE_KEY)).toBe(false);
    expect(verifyRating({ ...exampleRating, sig: '!!!' }, EXAMPLE_KEY)).toBe(false);
  });

  it('accepts only the canonical spelling: the last character\'s padding bits changed is refused', () => {
    const s = exampleRating.sig;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s[s.length - 1]!);
    // the same six bits but for the low two, which a 32-byte value does not use
    const variants = [0, 1, 2, 3].map((p) => alphabet[(last & ~3) | p]!).filter((c) => c !== s[s.length - 1]);
    expect(variants).toHaveLength(3);
    for (const c of variants) {
      const sig = s.slice(0, -1) + c;
      expect(Buffer.from(sig, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true); // the same bytes once decoded
      expect(verifyRating({ ...exampleRating, sig }, EXAMPLE_KEY)).toBe(false);
    }
  });

  // Any change of any one field (including nested ones) breaks the signature.
  const mutations: [string, (r: Rating) => Rating][] = [
    ['id', (r) => ({ ...r, id: r.id.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })],
    ['hallId', (r) => ({ ...r, hallId: `${r.hallId}x` })],
    ['deviceId', (r) => ({ ...r, deviceId: `${r.deviceId}x` })],
    ['windowId', (r) => ({ ...r, windowId: `${r.windowId}x` })],
    ['sessionId', (r) => ({ ...r, sessionId: null })],
    ['caseNumbers', (r) => ({ ...r, caseNumbers: [...r.caseNumbers].reverse() })],
    ['staffId', (r) => ({ ...r, staffId: 'staff-008' })],
    ['itemCode', (r) => ({ ...r, itemCode: null })],
    ['indicators', (r) => ({ ...r, indicators: r.indicators.slice(1) })],
    ['indicatorVersion', (r) => ({ ...r, indicatorVersion: '2026.10' })],
    ['subScores', (r) => ({ ...r, subScores: { '501': 3 } })],
    ['text', (r) => ({ ...r, text: '' })],
    ['channel', (r) => ({ ...r, channel: 4 })],
    ['assessNumber', (r) => ({ ...r, assessNumber: 2 })],
    ['origin', (r) => ({ ...r, origin: 'walk-up' })],
    ['flags', (r) => ({ ...r, flags: ['walk-up'] })],
    ['givenAt', (r) => ({ ...r, givenAt: '2026-11-21T02:15:31.120Z' })],
    ['clock.trusted', (r) => ({ ...r, clock: { ...r.clock, trusted: false } })],
    ['clock.monoMs', (r) => ({ ...r, clock: { ...r.clock, monoMs: r.clock.monoMs + 1 } })],
    ['seq', (r) => ({ ...r, seq: r.seq + 1 })],
  ];
  it.each(mutations)('fails when %s changes', (_f, mutate) => {
    expect(verifyRating(mutate(exampleRating), EXAMPLE_KEY)).toBe(false);
  });

  it('property: changing the level or any text field breaks verification', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2 | 3 | 4 | 5>(1, 2, 3, 4, 5),
        fc.string({ maxLength: 40 }),
        fc.constantFrom('hallId', 'deviceId', 'windowId', 'staffId', 'itemCode', 'givenAt', 'text'),
        fc.string({ minLength: 1, maxLength: 40 }),
        (level, text, field, replacement) => {
          const signed = signRating({ ...exampleUnsignedRating, level, text }, EXAMPLE_KEY);
          expect(verifyRating(signed, EXAMPLE_KEY)).toBe(true);
          const before = (signed as Record<string, unknown>)[field];
          fc.pre(before !== replacement);
          expect(verifyRating({ ...signed, [field]: replacement } as Rating, EXAMPLE_KEY)).toBe(false);
          const otherLevel = ((level % 5) + 1) as 1 | 2 | 3 | 4 | 5;
          expect(verifyRating({ ...signed, level: otherLevel }, EXAMPLE_KEY)).toBe(false);
        },
      ),
    );
  });
});
