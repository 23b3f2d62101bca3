import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspectRateToken, signRateToken, verifyRateToken } from '../../src/sessions/rate-link.js';

const KEY = randomBytes(32).toString('base64url');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('rate links', () => {
  it('verifies its own token until it expires, then inspect says expired', () => {
    const t = signRateToken('s-1', 2_000, KEY);
    expect(verifyRateToken(t, KEY, 1_000)).toEqual({ sessionId: 's-1', expiresMs: 2_000 });
    expect(verifyRateToken(t, KEY, 3_000)).toBeNull();
    expect(inspectRateToken(t, KEY, 3_000)).toMatchObject({ kind: 'expired', sessionId: 's-1' });
  });

  it('refuses another key, an altered payload and a signature spelled differently for the same bytes', () => {
    const t = signRateToken('s-1', 2_000, KEY);
    expect(verifyRateToken(t, randomBytes(32).toString('base64url'), 1_000)).toBeNull();
    const [payload, sig] = t.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ s: 's-2', e: 2_000 })).toString('base64url');
    expect(verifyRateToken(`${forged}.${sig}`, KEY, 1_000)).toBeNull();
    // a 32-byte MAC leaves the last character's two low bits unused: those spellings are refused
    const last = ALPHABET.indexOf(sig[sig.length - 1]!);
    for (const p of [0, 1, 2, 3]) {
      const c = ALPHABET[(last & ~3) | p]!;
      if (c === sig[sig.length - 1]) continue;
      expect(inspectRateToken(`${payload}.${sig.slice(0, -1)}${c}`, KEY, 1_000)).toEqual({ kind: 'invalid' });
    }
    expect(inspectRateToken('no-dot', KEY, 1_000)).toEqual({ kind: 'invalid' });
  });
});
