import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERRORS, ERROR_CODES, HcpError, isErrorCode } from '../src/index.js';

const docPath = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));

describe('error catalog', () => {
  it('codes are upper-case HCP_ identifiers', () => {
    for (const code of ERROR_CODES) expect(code).toMatch(/^HCP_[A-Z0-9_]+$/);
  });

  it('docs/errors.md lists exactly the catalog, with the same retryable flag and status', () => {
    const doc = readFileSync(docPath, 'utf8');
    const rows = [...doc.matchAll(/^\| `(HCP_[A-Z0-9_]+)` \| (yes|no) \| (\d{3}) \|/gm)].map((m) => [m[1], m[2] === 'yes', Number(m[3])]);
    const expected = ERROR_CODES.map((c) => [c, ERRORS[c].retryable, ERRORS[c].http]);
    expect(rows).toEqual(expected);
  });

  it('HcpError carries code, status and detail; serialises without stack', () => {
    const e = new HcpError('HCP_VALIDATION', { field: '/level' });
    expect(e.statusCode).toBe(400);
    expect(e.toJSON()).toEqual({ code: 'HCP_VALIDATION', message: ERRORS.HCP_VALIDATION.message, retryable: false, detail: { field: '/level' } });
    expect(isErrorCode('HCP_VALIDATION')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });
});
