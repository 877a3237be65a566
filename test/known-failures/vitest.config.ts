import { defineConfig } from 'vitest/config';

// Runs the known-failure reproductions on their own: `npx vitest run -c test/known-failures/vitest.config.ts`.
export default defineConfig({
  test: {
    include: ['test/known-failures/**/*.test.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
