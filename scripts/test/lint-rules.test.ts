import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency direction is enforced by eslint.config.js; these cases prove a bad import fails.
const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { project: null, projectService: false } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
        '@typescript-eslint/await-thenable': 'off',
        '@typescript-eslint/consistent-type-imports': 'off',
        '@typescript-eslint/no-unused-vars': 'off',
      },
    },
  ],
});

async function restricted(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath: root + filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').length;
}

describe('dependency direction', () => {
  it.each([
    ['protocol/src/x.ts', "import { readFileSync } from 'node:fs';"],
    ['protocol/src/x.ts', "import mqtt from 'mqtt';"],
    ['protocol/src/x.ts', "import Database from 'better-sqlite3';"],
    ['protocol/src/x.ts', "import { x } from '@hcp/device';"],
    ['device/src/x.ts', "import { x } from '@hcp/hub';"],
    ['device/src/x.ts', "import { x } from '@hcp/simulator/panel';"],
    ['device/src/x.ts', "import { x } from '../../hub/src/app.js';"],
    ['device/test/x.test.ts', "import { x } from '@hcp/hub';"],
    ['hub/src/x.ts', "import { x } from '@hcp/device';"],
    ['hub/src/x.ts', "import { x } from '@hcp/simulator';"],
    ['hub/test/x.test.ts', "import { x } from '@hcp/device';"],
    ['hub/src/x.ts', "import { x } from '../../device/src/outbox.js';"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await restricted(file, code)).toBeGreaterThan(0);
  });

  it.each([
    ['protocol/src/x.ts', "import { createHmac } from 'node:crypto';"],
    ['device/src/x.ts', "import { Rating } from '@hcp/protocol';"],
    ['hub/src/x.ts', "import Database from 'better-sqlite3';"],
    ['simulator/src/x.ts', "import { x } from '@hcp/device';"],
    ['device/test/x.test.ts', "import { x } from '@hcp/simulator/panel';"],
    ['hub/test/x.test.ts', "import { x } from '@hcp/simulator';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await restricted(file, code)).toBe(0);
  });
});
