import { defineConfig } from 'vitest/config';

// Two projects: `unit` (next to the code, fast) and `e2e` (processes, servers, real models).
// `npm test` runs both; `npm run test:unit` / `npm run test:e2e` run one.
const shared = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' as const };
// `*.case.test.ts` are contract suites, imported by one test file per implementation.
const ignored = ['node_modules/**', '.cache/**', 'dist/**', 'runs/**', '**/*.case.test.ts'];

export default defineConfig({
  test: {
    // The JSON report is what .ci/run counts ("N passed, N failed") after running the README's commands.
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/test-report.json' },
    projects: [
      { test: { ...shared, name: 'unit', include: ['**/*.test.ts'], exclude: [...ignored, 'e2e/**'] } },
      { test: { ...shared, name: 'e2e', include: ['e2e/**/*.test.ts'], exclude: ignored } },
    ],
  },
});
