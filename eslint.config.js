// Lint: type-aware promise rules, and the dependency direction between workspaces.
import tseslint from 'typescript-eslint';

const IO_MODULES = [
  'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https',
  'http2', 'node:http2', 'dgram', 'node:dgram', 'dns', 'node:dns', 'tls', 'node:tls', 'child_process', 'node:child_process',
  'worker_threads', 'node:worker_threads', 'cluster', 'node:cluster', 'os', 'node:os', 'readline', 'node:readline',
  'mqtt', 'aedes', 'serialport', 'better-sqlite3', 'fastify', 'node-hid', 'johnny-five', 'pino',
];
const restrict = (paths, patterns) => ({
  'no-restricted-imports': ['error', {
    paths: paths.map((name) => ({ name, message: 'breaks the dependency direction (see eslint.config.js)' })),
    patterns: patterns.map((p) => ({ group: [p], message: 'breaks the dependency direction (see eslint.config.js)' })),
  }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'test-artifacts/**', '**/*.js', '**/*.mjs', '**/public/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  // protocol: pure; imports no I/O module and no other workspace.
  { files: ['protocol/src/**/*.ts'], rules: restrict(IO_MODULES, ['@hcp/*', '../../*/**']) },
  // device and hub never import each other; their sources never import the simulator. Their tests
  // may use the simulator's fakes (which implement the same interfaces as the real parts).
  { files: ['device/src/**/*.ts'], rules: restrict([], ['@hcp/hub', '@hcp/hub/*', '@hcp/simulator', '@hcp/simulator/*', '**/hub/src/**', '**/simulator/src/**']) },
  { files: ['device/test/**/*.ts', 'device/bench/**/*.ts'], rules: restrict([], ['@hcp/hub', '@hcp/hub/*', '**/hub/src/**']) },
  { files: ['hub/src/**/*.ts'], rules: restrict([], ['@hcp/device', '@hcp/device/*', '@hcp/simulator', '@hcp/simulator/*', '**/device/src/**', '**/simulator/src/**']) },
  { files: ['hub/test/**/*.ts', 'hub/bench/**/*.ts'], rules: restrict([], ['@hcp/device', '@hcp/device/*', '**/device/src/**']) },
);
