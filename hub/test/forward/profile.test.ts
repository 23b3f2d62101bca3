import { describe, expect, it } from 'vitest';
import { HcpError } from '@hcp/protocol';
import { fileURLToPath } from 'node:url';
import { loadProfile, loadProfileFile } from '../../src/forward/profile.js';

const minimal = { name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:1/records' };

describe('loadProfile', () => {
  it('applies the schema defaults and freezes', () => {
    const p = loadProfile(minimal);
    expect(p.batchSize).toBe(50);
    expect(p.codes).toMatchObject({ channelVariant: 'national', userType: 'B', promiseOrder: 'immediate-first', levelOrder: 'national', dateFormat: 'yyyy-MM-dd HH:mm:ss', dataSource: '000' });
    expect(p.retry).toEqual({ baseMs: 1000, maxMs: 300_000, maxAttempts: null, timeoutMs: 15_000 });
    expect(p.defaultRating).toEqual({ mode: 'off' });
    expect(p.indicators).toEqual({ kind: 'none' });
    expect(Object.isFrozen(p.codes)).toBe(true);
  });

  it('fills defaults inside the chosen default-rating policy', () => {
    const p = loadProfile({ ...minimal, codes: { channelVariant: 'zhejiang' }, defaultRating: { mode: 'after-working-days', days: 5 } });
    expect(p.defaultRating).toEqual({ mode: 'after-working-days', days: 5, level: 4 });
  });

  it('lists every error with its field', () => {
    try {
      loadProfile({ ...minimal, batchSize: 0, codes: { dataSource: '12' }, bogus: 1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HcpError);
      const e = err as HcpError;
      expect(e.code).toBe('HCP_CONFIG_INVALID');
      const fields = (e.detail as { errors: { field: string }[] }).errors.map((x) => x.field);
      expect(fields).toEqual(expect.arrayContaining(['/batchSize', '/codes/dataSource']));
    }
  });

  it('refuses maxMs below baseMs', () => {
    expect(() => loadProfile({ ...minimal, retry: { baseMs: 5000, maxMs: 10 } })).toThrow(/invalid/);
  });

  it('refuses a default-rating policy that has no channel code for the national table', () => {
    expect(() => loadProfile({ ...minimal, defaultRating: { mode: 'after-working-days', days: 5 } })).toThrow(HcpError);
    expect(loadProfile({ ...minimal, defaultRating: { mode: 'after-working-days', days: 5, channelCode: '5' } }).defaultRating).toMatchObject({ channelCode: '5' });
  });

  it('refuses an unknown adapter', () => {
    expect(() => loadProfile({ ...minimal, adapter: 'nope' })).toThrow(/adapter/);
  });
  it('loads the sample profiles in hub/data/profiles, and reports unreadable files with a code', () => {
    for (const f of ['generic-sim.json', 'signed-envelope-sim.json']) {
      const p = loadProfileFile(fileURLToPath(new URL(`../../data/profiles/${f}`, import.meta.url)));
      expect(p.defaultRating.mode).toBe('after-working-days');
    }
    expect(() => loadProfileFile('/nonexistent/p.json')).toThrow(expect.objectContaining({ code: 'HCP_CONFIG_UNREADABLE' }));
  });
});
