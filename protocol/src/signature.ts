/**
 * Rating signatures.
 *
 * Canonical encoding (independent of key order and JSON whitespace):
 *   - objects: keys sorted by UTF-16 code unit order, `{"k":v,...}` with no spaces;
 *     keys whose value is `undefined` are omitted;
 *   - arrays: `[a,b]` in their order (order is meaningful);
 *   - strings: JSON.stringify (so escaping is fixed); numbers: JSON number text (finite only);
 *   - booleans and null as in JSON.
 *   The `sig` field itself is excluded. The bytes are the UTF-8 of that text.
 * Signature: HMAC-SHA256(key, "hcp-rating-v1\n" + canonical), base64url without padding.
 * Verification compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HcpError } from './errors.js';
import type { Rating, UnsignedRating } from './schemas/rating.js';

/** The domain prefix of the signed bytes (exported for signers that build the canonical text themselves). */
export const RATING_SIG_DOMAIN = 'hcp-rating-v1\n';
const DOMAIN = RATING_SIG_DOMAIN;

export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new HcpError('HCP_VALIDATION', { rule: 'finite number' });
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalize(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(obj[k])}`).join(',')}}`;
    }
    default:
      throw new HcpError('HCP_VALIDATION', { rule: `no ${typeof value} values` });
  }
}

function withoutSig(r: UnsignedRating | Rating): UnsignedRating {
  const { sig: _ignored, ...rest } = r as Rating;
  return rest;
}

export function ratingSigningBytes(r: UnsignedRating | Rating): Buffer {
  return Buffer.from(DOMAIN + canonicalize(withoutSig(r)), 'utf8');
}

/** key: the device's 32-byte key as base64url (as provisioned) or raw bytes. */
export function signRating(r: UnsignedRating, key: string | Uint8Array): Rating {
  const sig = createHmac('sha256', keyBytes(key)).update(ratingSigningBytes(r)).digest('base64url');
  return { ...r, sig };
}

export function verifyRating(r: Rating, key: string | Uint8Array): boolean {
  // Compared as the canonical base64url text, not as decoded bytes: the decoder ignores the last
  // character's two padding bits, so four spellings would decode to one MAC. One accepted spelling
  // keeps a stored rating's signature non-malleable.
  const expected = Buffer.from(createHmac('sha256', keyBytes(key)).update(ratingSigningBytes(r)).digest('base64url'));
  const given = Buffer.from(typeof r.sig === 'string' ? r.sig : '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? Buffer.from(key, 'base64url') : key;
}
