import { ProbotOctokit } from "probot";

/** An installation-style Octokit for nock tests: no retries or throttling, so one mock answers one request. */
export function testOctokit() {
  return new (ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }))({
    auth: { token: "test" },
  });
}
