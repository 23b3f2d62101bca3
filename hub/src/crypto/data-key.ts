/**
 * Encryption at rest for personal data (applicant name, ID number, phone) and device signing keys:
 * AES-256-GCM, each value `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url). The key id makes
 * rotation possible: add a new key, make it current, old values still decrypt.
 *
 * Keys come from env HCP_DATA_KEY (base64 or base64url of 32 bytes, key id `env`) or from the key
 * file `<dataDir>/data-key.json` `{ "current": "k1", "keys": { "k1": "<base64url>" } }`, created
 * with mode 0600 at first start.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyRing {
  readonly current: string;
  readonly keys: Readonly<Record<string, Buffer>>;
}

export class DataCrypto {
  constructor(private readonly ring: KeyRing) {}

  get currentKeyId(): string {
    return this.ring.current;
  }

  encrypt(plain: string): string {
    const key = this.ring.keys[this.ring.current];
    if (!key) throw new Error(`data key ${this.ring.current} missing`);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', this.ring.current, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  decrypt(box: string): string {
    const [v, kid, iv, tag, ct] = box.split('.');
    if (v !== 'v1' || !kid || iv === undefined || tag === undefined || ct === undefined) throw new Error('not an encrypted value');
    const key = this.ring.keys[kid];
    if (!key) throw new Error(`data key ${kid} is not available`);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  }
}

function parseKey(text: string, what: string): Buffer {
  const b = Buffer.from(text.trim(), text.includes('+') || text.includes('/') ? 'base64' : 'base64url');
  if (b.length !== 32) throw new Error(`${what} must be 32 bytes in base64`);
  return b;
}

/** Loads (or at first start creates) the key ring. */
export function loadKeyRing(dataDir: string, env: NodeJS.ProcessEnv = process.env): KeyRing {
  const file = join(dataDir, 'data-key.json');
  const keys: Record<string, Buffer> = {};
  let current: string | undefined;
  if (existsSync(file)) {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { current: string; keys: Record<string, string> };
    for (const [id, k] of Object.entries(j.keys)) keys[id] = parseKey(k, `key ${id} in ${file}`);
    current = j.current;
  }
  if (env.HCP_DATA_KEY) {
    keys.env = parseKey(env.HCP_DATA_KEY, 'HCP_DATA_KEY');
    current = 'env';
  }
  if (!current) {
    const k = randomBytes(32);
    writeFileSync(file, JSON.stringify({ current: 'k1', keys: { k1: k.toString('base64url') } }, null, 2), { mode: 0o600 });
    keys.k1 = k;
    current = 'k1';
  }
  if (!keys[current]) throw new Error(`current data key ${current} is missing`);
  return { current, keys };
}

/** Masks personal data for every view: keeps the first character (names) or the ends (numbers). */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

export function maskNumber(s: string, keepStart = 3, keepEnd = 4): string {
  const chars = [...s];
  if (chars.length <= keepStart + keepEnd) return '*'.repeat(chars.length);
  return chars.slice(0, keepStart).join('') + '*'.repeat(chars.length - keepStart - keepEnd) + chars.slice(-keepEnd).join('');
}
