import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorsMarkdown, refreshProtocolDoc } from '../src/docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('generated docs are current', () => {
  it('docs/errors.md matches the error catalog', () => {
    expect(readFileSync(root + 'docs/errors.md', 'utf8')).toBe(errorsMarkdown());
  });
  it('docs/protocol.md examples match protocol/src/examples.ts', () => {
    const doc = readFileSync(root + 'docs/protocol.md', 'utf8');
    expect(refreshProtocolDoc(doc)).toBe(doc);
    expect(doc).toContain('"type": "session.start"');
  });
});
