import { describe, expect, it } from 'vitest';
import { idCheckChar, isValidIdNumber, isValidUscc, usccCheckChar } from '../../src/business/idcard.js';
import { fakeApplicant, fakeIdNumber, fakePhone, fakeUscc } from '../../src/business/people.js';
import { seededRandom } from '../../src/business/random.js';

describe('GB 11643 and GB 32100 check characters', () => {
  it('matches published examples', () => {
    // The example number from GB 11643-1999 itself.
    expect(idCheckChar('11010519491231002')).toBe('X');
    expect(isValidIdNumber('11010519491231002X')).toBe(true);
    expect(isValidIdNumber('110105194912310021')).toBe(false);
    expect(isValidIdNumber('11010519491331002X')).toBe(false);
    // A 统一社会信用代码 as printed on a business licence (Alibaba (China) Co., Ltd.).
    expect(usccCheckChar('91330100799655058')).toBe('B');
    expect(isValidUscc('91330100799655058B')).toBe(true);
    expect(isValidUscc('91330100799655058C')).toBe(false);
  });
});

describe('fake people', () => {
  it('makes valid identity numbers, credit codes and mobile numbers for any seed', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = seededRandom(seed);
      expect(isValidIdNumber(fakeIdNumber(r))).toBe(true);
      expect(isValidUscc(fakeUscc(r))).toBe(true);
      expect(fakePhone(r)).toMatch(/^1[3-9]\d{9}$/);
    }
  });

  it('mixes persons and companies', () => {
    const r = seededRandom(3);
    const kinds = new Set(Array.from({ length: 200 }, () => fakeApplicant(r).userType));
    expect(kinds).toEqual(new Set(['person', 'enterprise']));
  });
});
