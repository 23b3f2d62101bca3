/**
 * Signed, expiring links for rating later on a phone: `/m/r/<payload>.<sig>`, payload the base64url
 * JSON `{ s: sessionId, e: expiresMs }`, sig HMAC-SHA256 with the hub's link key. The mobile page
 * itself is later work; the link format and its check live here.
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
  const want = createHmac('sha256', Buffer.from(key, 'base64url')).update(payload).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  try {
    const j = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { s?: unknown; e?: unknown };
    if (typeof j.s !== 'string' || typeof j.e !== 'number' || j.e < nowMs) return null;
    return { sessionId: j.s, expiresMs: j.e };
  } catch {
    return null;
  }
}
