import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Each file gets its own SQLite database (see test/helpers/db.ts); files run in parallel forks.
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 60_000,
    globalSetup: ["test/helpers/global-setup.ts"],
    // Every GitHub exchange a test mocks is checked against GitHub's API description (test/helpers/github-conformance.ts).
    setupFiles: ["test/helpers/conformance-setup.ts"],
  },
});
