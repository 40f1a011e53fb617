import { defineConfig } from "vitest/config";

// Two projects: `unit` runs everything against the TypeScript sources and never loads lib/; `e2e` starts the built
// server (lib/server.js) as a child process, so it needs `npm run build` (npm test builds first).

// Every GitHub exchange a test mocks is checked against GitHub's API description (test/helpers/github-conformance.ts).
const CONFORMANCE = "test/helpers/conformance-setup.ts";

export default defineConfig({
  test: {
    environment: "node",
    // Each file gets its own SQLite database (see test/helpers/db.ts); files run in parallel forks.
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 60_000,
    globalSetup: ["test/helpers/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          // Files share their workers' module cache: loading Probot, Prisma and Octokit once per worker instead of
          // once per file halves the suite's CPU time. fresh-file.ts resets what a file may leave behind.
          isolate: false,
          setupFiles: ["test/helpers/fresh-file.ts", CONFORMANCE],
        },
      },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], setupFiles: [CONFORMANCE] } },
    ],
  },
});
