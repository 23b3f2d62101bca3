import { defineConfig } from 'vitest/config';

// One project per workspace; `source` resolves @hcp/* to TypeScript sources, so tests need no build.
const project = (name: string) => ({
  resolve: { conditions: ['source'] },
  test: {
    name,
    root: `./${name}`,
    include: ['test/**/*.test.ts'],
    // A hang guard only: integration tests wait on conditions with their own deadlines.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    projects: ['protocol', 'device', 'hub', 'simulator', 'scripts'].map(project),
    reporters: ['default', './scripts/vitest-summary.mjs'],
    fileParallelism: true,
    maxWorkers: 2,
  },
});
