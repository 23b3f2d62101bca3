import { describe, expect, it } from 'vitest';
import { hashPassword, MACHINE_COST, tokenHash, verifyPassword } from '../../src/crypto/passwords.js';

describe('password hashing', () => {
  it('scrypt hashes verify only the right password; salts differ', async () => {
    const h = hashPassword('correct horse battery', MACHINE_COST);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(hashPassword('correct horse battery', MACHINE_COST)).not.toBe(h);
    expect(await verifyPassword('correct horse battery', h)).toBe(true);
    expect(await verifyPassword('correct horse batterx', h)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
  it('token hashes are stable and not the token', () => {
    expect(tokenHash('abc')).toBe(tokenHash('abc'));
    expect(tokenHash('abc')).not.toContain('abc');
  });
});
