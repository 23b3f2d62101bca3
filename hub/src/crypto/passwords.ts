/**
 * scrypt password hashes: `scrypt$N$r$p$salt$hash` (base64url). Human passwords use a high cost;
 * device MQTT passwords are 256-bit random secrets, so brute force is impossible whatever the cost
 * and a low N keeps 5,000 devices reconnecting after a hub restart from stalling the thread pool.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, createHash } from 'node:crypto';

export const HUMAN_COST = 1 << 15;
export const MACHINE_COST = 1 << 10;
const R = 8;
const P = 1;
const LEN = 32;

export function hashPassword(password: string, cost = HUMAN_COST): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, LEN, { N: cost, r: R, p: P, maxmem: 128 * cost * R * 2 });
  return `scrypt$${cost}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Async so the event loop keeps serving while the hash runs in the thread pool. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return Promise.resolve(false);
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  return new Promise((resolve) => {
    scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, got) => {
      resolve(!err && got.length === expected.length && timingSafeEqual(got, expected));
    });
  });
}

/** Bearer tokens and session cookies are random; the db keeps only their SHA-256. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
