import { githubOctokit } from "../../src/github/octokit.js";

/** An installation-style Octokit for nock tests: no retries or throttling, so one mock answers one request. */
export function testOctokit() {
  return new (githubOctokit().defaults({ retry: { enabled: false }, throttle: { enabled: false } }))({
    auth: { token: "test" },
  });
}
