/**
 * Identifier grammars. Ids appear in MQTT topics, so they are restricted to lower-case ASCII
 * letters, digits and '-', never start with '-', and never contain MQTT wildcards or '/'.
 */
export const HALL_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,31}$';
export const DEVICE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,47}$';
export const WINDOW_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,47}$';
/** RFC 9562 UUID version 7, lower case. */
export const UUIDV7_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
/** Claim codes use Crockford base32 without I, L, O, U: easy to read aloud and type. */
export const CLAIM_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CLAIM_CODE_PATTERN = '^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$';

const hallRe = new RegExp(HALL_ID_PATTERN);
const deviceRe = new RegExp(DEVICE_ID_PATTERN);
const windowRe = new RegExp(WINDOW_ID_PATTERN);
const uuidv7Re = new RegExp(UUIDV7_PATTERN);
const claimRe = new RegExp(CLAIM_CODE_PATTERN);

export const isHallId = (s: string): boolean => hallRe.test(s);
export const isDeviceId = (s: string): boolean => deviceRe.test(s);
export const isWindowId = (s: string): boolean => windowRe.test(s);
export const isUuidV7 = (s: string): boolean => uuidv7Re.test(s);
export const isClaimCode = (s: string): boolean => claimRe.test(s);

/** Source of randomness, injectable for tests. Must fill the array with random bytes. */
export type RandomFill = (bytes: Uint8Array) => Uint8Array;

/**
 * A UUIDv7: 48-bit Unix milliseconds, then random bits. Sortable by creation time, which lets
 * the hub and the outbox keep order without a second column. Time and randomness are injected.
 */
export function uuidv7(nowMs: number, fill: RandomFill): string {
  const b = fill(new Uint8Array(16));
  // 48-bit milliseconds: exact in a double (2^53), so plain arithmetic instead of BigInt shifts.
  let ms = Math.max(0, Math.floor(nowMs));
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  // A byte → hex table: ids are made on every press, on the path to the commit (issue 3 benchmark).
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i]!]!;
  }
  return s;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Milliseconds encoded in a UUIDv7. */
export function uuidv7Time(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/** A claim code such as `7K3M-Q9XD`, from injected randomness. */
export function makeClaimCode(fill: RandomFill): string {
  const b = fill(new Uint8Array(8));
  const chars = Array.from(b, (x) => CLAIM_CODE_ALPHABET[x % 32] ?? '0');
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}
