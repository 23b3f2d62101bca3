/**
 * Signed, expiring links for rating later on a phone: `/m/r/<payload>.<sig>`, payload the base64url
 * JSON `{ s: sessionId, e: expiresMs }`, sig HMAC-SHA256 with the hub's link key. The link format
 * and its check live here; the phone page is hub/src/mobile.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signRateToken(sessionId: string, expiresMs: number, key: string): string {
  const payload = Buffer.from(JSON.stringify({ s: sessionId, e: expiresMs })).toString('base64url');
  const sig = createHmac('sha256', Buffer.from(key, 'base64url')).update(payload).digest('base64url');
  return `${payload}.${sig}`;
}

export function verifyRateToken(token: string, key: string, nowMs: number): { sessionId: string; expiresMs: number } | null {
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return null;
  // compared as canonical base64url text: decoded bytes would accept four spellings of one MAC
  const want = Buffer.from(createHmac('sha256', Buffer.from(key, 'base64url')).update(payload).digest('base64url'));
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  try {
    const j = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { s?: unknown; e?: unknown };
    if (typeof j.s !== 'string' || typeof j.e !== 'number' || j.e < nowMs) return null;
    return { sessionId: j.s, expiresMs: j.e };
  } catch {
    return null;
  }
}

/**
 * Like verifyRateToken, but says why a token is refused: `invalid` (malformed or the signature does
 * not verify: nothing in it may be trusted) or `expired` (genuine, past its time), so the phone page
 * can tell the citizen which.
 */
export function inspectRateToken(token: string, key: string, nowMs: number):
  | { readonly kind: 'ok'; readonly sessionId: string; readonly expiresMs: number }
  | { readonly kind: 'expired'; readonly sessionId: string; readonly expiresMs: number }
  | { readonly kind: 'invalid' } {
  const ok = verifyRateToken(token, key, Number.NEGATIVE_INFINITY);
  if (!ok) return { kind: 'invalid' };
  return { kind: ok.expiresMs < nowMs ? 'expired' : 'ok', sessionId: ok.sessionId, expiresMs: ok.expiresMs };
}
