// A raw GitHub Actions job log of a failing vitest run, in the exact format the logs API returns (timestamps,
// groups, ANSI colours, the runner's exit line). Written for these tests.
export const VITEST_LOG = [
  "2026-11-23T08:00:01.0000000Z ##[group]Run actions/checkout@v4",
  "2026-11-23T08:00:01.1000000Z with:",
  "2026-11-23T08:00:02.0000000Z ##[endgroup]",
  "2026-11-23T08:00:05.0000000Z ##[group]Run npm test",
  "2026-11-23T08:00:05.0000000Z \u001b[36;1mnpm test\u001b[0m",
  "2026-11-23T08:00:05.0000000Z shell: /usr/bin/bash -e {0}",
  "2026-11-23T08:00:05.1000000Z ##[endgroup]",
  "2026-11-23T08:00:06.0000000Z > octo-repo@1.0.0 test",
  "2026-11-23T08:00:06.0000000Z > vitest run",
  "2026-11-23T08:00:07.0000000Z  RUN  v4.1.0 /home/runner/work/octo-repo/octo-repo",
  "2026-11-23T08:00:08.0000000Z  ❯ src/sum.test.ts (2 tests | 1 failed) 5ms",
  "2026-11-23T08:00:08.0000000Z    × sum > adds two numbers 3ms",
  "2026-11-23T08:00:08.1000000Z ⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯",
  "2026-11-23T08:00:08.1000000Z  FAIL  src/sum.test.ts > sum > adds two numbers",
  "2026-11-23T08:00:08.1000000Z AssertionError: expected 3 to be 4 // Object.is equality",
  "2026-11-23T08:00:08.1000000Z - Expected",
  "2026-11-23T08:00:08.1000000Z + Received",
  "2026-11-23T08:00:08.1000000Z - 4",
  "2026-11-23T08:00:08.1000000Z + 3",
  "2026-11-23T08:00:08.1000000Z  ❯ src/sum.test.ts:6:23",
  "2026-11-23T08:00:08.2000000Z  Test Files  1 failed (1)",
  "2026-11-23T08:00:08.2000000Z       Tests  1 failed | 1 passed (2)",
  "2026-11-23T08:00:08.3000000Z ##[error]Process completed with exit code 1.",
].join("\n");

/** A short failing vitest job log whose failure (and so fingerprint) is told apart by `job`: one per run in e2e tests. */
export const failingJobLog = (job: number) =>
  [
    "2026-11-23T10:00:00.0000000Z ##[group]Run npm test",
    "2026-11-23T10:00:00.0000000Z npm test",
    "2026-11-23T10:00:00.0000000Z ##[endgroup]",
    `2026-11-23T10:00:01.0000000Z  FAIL  src/sum${job}.test.ts > sum > adds`,
    "2026-11-23T10:00:01.0000000Z AssertionError: expected 3 to be 4",
    `2026-11-23T10:00:01.0000000Z  ❯ src/sum${job}.test.ts:5:17`,
    "2026-11-23T10:00:02.0000000Z ##[error]Process completed with exit code 1.",
  ].join("\n");
