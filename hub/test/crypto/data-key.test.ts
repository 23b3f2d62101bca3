import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataCrypto, loadKeyRing, maskName, maskNumber } from '../../src/crypto/data-key.js';

describe('data encryption at rest', () => {
  it('round-trips with AES-256-GCM, random IVs, and detects tampering', () => {
    const c = new DataCrypto({ current: 'k1', keys: { k1: randomBytes(32) } });
    const a = c.encrypt('张三丰 330106199001011234');
    expect(a).toMatch(/^v1\.k1\./);
    expect(a).not.toContain('张三丰');
    expect(c.encrypt('张三丰 330106199001011234')).not.toBe(a);
    expect(c.decrypt(a)).toBe('张三丰 330106199001011234');
    const parts = a.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => c.decrypt(parts.join('.'))).toThrow();
  });

  it('rotation: values under an old key id still decrypt after a new key becomes current', () => {
    const k1 = randomBytes(32);
    const old = new DataCrypto({ current: 'k1', keys: { k1 } }).encrypt('secret');
    const rotated = new DataCrypto({ current: 'k2', keys: { k1, k2: randomBytes(32) } });
    expect(rotated.decrypt(old)).toBe('secret');
    expect(rotated.encrypt('x')).toMatch(/^v1\.k2\./);
    expect(() => new DataCrypto({ current: 'k2', keys: { k2: randomBytes(32) } }).decrypt(old)).toThrow(/k1/);
  });

  it('creates a 0600 key file at first start and reuses it; HCP_DATA_KEY wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-key-'));
    const r1 = loadKeyRing(dir, {});
    expect((statSync(join(dir, 'data-key.json')).mode & 0o777).toString(8)).toBe('600');
    const r2 = loadKeyRing(dir, {});
    expect(r2.keys.k1!.equals(r1.keys.k1!)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'data-key.json'), 'utf8')).current).toBe('k1');
    const env = loadKeyRing(dir, { HCP_DATA_KEY: randomBytes(32).toString('base64') });
    expect(env.current).toBe('env');
    expect(env.keys.k1).toBeDefined();
    expect(() => loadKeyRing(dir, { HCP_DATA_KEY: 'short' })).toThrow(/32 bytes/);
  });

  it('masks names and numbers', () => {
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('李')).toBe('*');
    expect(maskNumber('330106199001011234')).toBe('330***********1234');
    expect(maskNumber('1234')).toBe('****');
  });
});
