import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeConfig } from '../src/config.js';

describe('config', () => {
  it('defaults live in the schema; the result is frozen', () => {
    const c = makeConfig();
    expect(c).toMatchObject({ httpPort: 8080, mqttPort: 1883, hallId: 'hall-1', inactivityTimeoutS: 600 });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('file then overrides; every error listed with a code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-cfg-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ httpPort: 9000, hallId: 'hall-7' }));
    expect(makeConfig({ httpPort: 9001 }, join(dir, 'c.json'))).toMatchObject({ httpPort: 9001, hallId: 'hall-7' });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ httpPort: -1, hallId: 'Hall 7', nonsense: true }));
    try {
      makeConfig({}, join(dir, 'bad.json'));
      expect.fail('should throw');
    } catch (err) {
      const e = err as { code: string; detail: { errors: { field: string }[] } };
      expect(e.code).toBe('HCP_CONFIG_INVALID');
      expect(e.detail.errors.map((x) => x.field)).toEqual(expect.arrayContaining(['/httpPort', '/hallId']));
    }
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(() => makeConfig({}, join(dir, 'broken.json'))).toThrow(/not valid JSON/);
    expect(() => makeConfig({}, join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'HCP_CONFIG_UNREADABLE' }));
  });
});
