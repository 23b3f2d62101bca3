/**
 * Encryption at rest for personal data (applicant name, ID number, phone) and device signing keys:
 * AES-256-GCM, each value `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url). The key id makes
 * rotation possible: add a new key, make it current, old values still decrypt.
 *
 * Keys come from env HCP_DATA_KEY (base64 or base64url of 32 bytes, key id `env` or
 * HCP_DATA_KEY_ID; older keys for reading in HCP_DATA_KEY_PREVIOUS as `id:key,id:key`) or from the
 * key file `<dataDir>/data-key.json` `{ "current": "k1", "keys": { "k1": "<base64url>" } }`,
 * created with mode 0600 at first start. `hcp-hub rotate-key` (privacy/rotate.ts) adds a key,
 * re-encrypts every value and can prune old keys; docs/personal-data.md has the procedure.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyRing {
  readonly current: string;
  readonly keys: Readonly<Record<string, Buffer>>;
}

export class DataCrypto {
  /**
   * `refresh` (optional) returns the key ring as it is now (watchKeyRing: re-read when the key file
   * changed), so a running hub follows a `rotate-key` without a restart: new values use the new
   * current key, values already re-encrypted still decrypt.
   */
  constructor(private ring: KeyRing, private readonly refresh?: () => KeyRing) {}

  get currentKeyId(): string {
    if (this.refresh) this.ring = this.refresh();
    return this.ring.current;
  }

  encrypt(plain: string): string {
    if (this.refresh) this.ring = this.refresh();
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
    if (!this.ring.keys[kid] && this.refresh) this.ring = this.refresh();
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
  for (const spec of (env.HCP_DATA_KEY_PREVIOUS ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = spec.indexOf(':');
    const id = i > 0 ? spec.slice(0, i) : '';
    if (!KEY_ID.test(id)) throw new Error('HCP_DATA_KEY_PREVIOUS must be id:key[,id:key] with ids of letters, digits, _ or -');
    keys[id] = parseKey(spec.slice(i + 1), `HCP_DATA_KEY_PREVIOUS key ${id}`);
  }
  if (env.HCP_DATA_KEY) {
    const id = env.HCP_DATA_KEY_ID ?? 'env';
    if (!KEY_ID.test(id)) throw new Error('HCP_DATA_KEY_ID must be 1-32 letters, digits, _ or -');
    keys[id] = parseKey(env.HCP_DATA_KEY, 'HCP_DATA_KEY');
    current = id;
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

/** Key ids go into every value (`v1.<id>.…`): no dots. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** The key id an encrypted value was made with, or null for something that is not one. */
export function keyIdOf(box: string): string | null {
  const [v, kid] = box.split('.');
  return v === 'v1' && kid ? kid : null;
}

/** Writes the key file atomically (temp file 0600, fsync, rename): a crash leaves the old or the new file, never half of one. */
export function writeKeyFile(dataDir: string, current: string, keys: Readonly<Record<string, Buffer>>): void {
  const file = join(dataDir, 'data-key.json');
  const tmp = `${file}.tmp-${process.pid}`;
  const json = JSON.stringify({ current, keys: Object.fromEntries(Object.entries(keys).map(([id, k]) => [id, k.toString('base64url')])) }, null, 2);
  writeFileSync(tmp, json, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * The key ring as it is now: loaded again only when the key file changed (size or mtime), so the
 * hub can call it before every encryption at the cost of one stat().
 */
export function watchKeyRing(dataDir: string, env: NodeJS.ProcessEnv = process.env): () => KeyRing {
  const file = join(dataDir, 'data-key.json');
  let ring = loadKeyRing(dataDir, env);
  const stamp = (): string => {
    try {
      const st = statSync(file);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return 'none';
    }
  };
  let seen = stamp();
  return () => {
    const now = stamp();
    if (now !== seen) {
      ring = loadKeyRing(dataDir, env);
      seen = now;
    }
    return ring;
  };
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
