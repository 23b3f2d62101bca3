import { describe, expect, it } from 'vitest';
import {
  CHANNELS, LEVELS, LEVEL_NAMES, USER_TYPES, channelCode, formatChinaTime, fromGbtLevel, isBadReview, promiseCode, provinceLevel,
  toGbtLevel, userPropCode, uuidv7, uuidv7Time, isUuidV7, makeClaimCode, isClaimCode,
} from '../src/index.js';

describe('levels', () => {
  it.each([
    [5, '非常满意', false, 1],
    [4, '满意', false, 2],
    [3, '基本满意', false, 3],
    [2, '不满意', true, 4],
    [1, '非常不满意', true, 5],
  ] as const)('level %i is %s, bad=%s, GB/T %i', (level, zh, bad, gbt) => {
    expect(LEVEL_NAMES[level].zh).toBe(zh);
    expect(isBadReview(level)).toBe(bad);
    expect(toGbtLevel(level)).toBe(gbt);
    expect(fromGbtLevel(gbt)).toBe(level);
    expect(provinceLevel(level, 'national')).toBe(String(level));
    expect(provinceLevel(level, 'gbt39046')).toBe(String(gbt));
  });
  it('covers exactly five levels and rejects others from GB/T', () => {
    expect(LEVELS).toHaveLength(5);
    expect(() => fromGbtLevel(0)).toThrow();
    expect(() => fromGbtLevel(6)).toThrow();
  });
});

describe('channels', () => {
  it('national table has codes 1..7', () => {
    expect(Object.keys(CHANNELS).map(Number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  it.each([
    ['qr', 'national', 3], ['tablet', 'national', 4], ['terminal', 'national', 5], ['phone', 'national', 6], ['sms', 'national', 7],
    ['sms', 'zhejiang', 6], ['default', 'zhejiang', 7], ['qr', 'zhejiang', 3],
  ] as const)('%s in %s → %i', (key, variant, code) => {
    expect(channelCode(key, variant)).toBe(code);
  });
  it('refuses codes a variant does not have', () => {
    expect(() => channelCode('default', 'national')).toThrow(/mapping/);
    expect(() => channelCode('phone', 'zhejiang')).toThrow(/mapping/);
  });
});

describe('user types', () => {
  it.each(USER_TYPES.map((t) => [t]))('%s maps in both variants', (t) => {
    expect(userPropCode(t, 'A')).toBe(t === 'person' ? '1' : '2');
    expect(userPropCode(t, 'B')).toMatch(/^[1-69]$/);
  });
  it('variant B codes are distinct', () => {
    expect(new Set(USER_TYPES.map((t) => userPropCode(t, 'B'))).size).toBe(USER_TYPES.length);
  });
});

describe('promise kind order differs by province', () => {
  it.each([
    ['immediate', 'immediate-first', '1'], ['promised', 'immediate-first', '2'],
    ['immediate', 'promised-first', '2'], ['promised', 'promised-first', '1'],
  ] as const)('%s with %s → %s', (kind, order, code) => {
    expect(promiseCode(kind, order)).toBe(code);
  });
});

describe('time and ids', () => {
  it('formats China time', () => {
    expect(formatChinaTime(Date.UTC(2026, 10, 20, 16, 30, 5))).toBe('2026-11-21 00:30:05');
  });
  it('uuidv7 encodes its time and version', () => {
    let n = 0;
    const fill = (b: Uint8Array): Uint8Array => b.map(() => (n++ * 37) & 0xff);
    const id = uuidv7(1_795_226_400_123, fill);
    expect(isUuidV7(id)).toBe(true);
    expect(uuidv7Time(id)).toBe(1_795_226_400_123);
  });
  it('uuidv7 lays out big-endian milliseconds, version and variant over the random bytes', () => {
    // Reference layout from RFC 9562 §5.7, built with Buffer's own hex encoding.
    for (const ms of [0, 1, 255, 256, 1_795_226_400_123, 2 ** 48 - 1]) {
      const rnd = Uint8Array.from({ length: 16 }, (_, i) => (ms + i * 73) & 0xff);
      const ref = Buffer.from(rnd);
      ref.writeUIntBE(ms, 0, 6);
      ref[6] = (ref[6]! & 0x0f) | 0x70;
      ref[8] = (ref[8]! & 0x3f) | 0x80;
      const hex = ref.toString('hex');
      const want = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      expect(uuidv7(ms, (b) => { b.set(rnd); return b; })).toBe(want);
    }
  });
  it('claim codes follow their grammar', () => {
    const code = makeClaimCode((b) => b.map((_, i) => i * 29));
    expect(isClaimCode(code)).toBe(true);
  });
});
