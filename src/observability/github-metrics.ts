import { networkFailureOf, statusOf } from "../github/errors.js";
import type { Metrics } from "./metrics.js";

// Counts GitHub API errors by status, given to the error hook of every Octokit Probot creates (src/github/octokit.ts):
// `githubOctokit(countGitHubErrors(metrics))`. 404s are counted too: a missing config file or an expired log is a
// 404, and a spike of them is worth seeing. A rate limit is counted here by its status, and its wait by the worker.
// A call that got no answer at all (DNS, refused connection, TLS, timeout) is not an answer: it is counted by its cause
// in github_unreachable_total (src/github/client.ts, at the fetch, so that installation-token requests count too),
// never as the 500 Octokit dresses it in.

export function countGitHubErrors(metrics: Pick<Metrics, "githubApiErrors">) {
  return (error: unknown): void => {
    if (networkFailureOf(error)) return;
    const status = statusOf(error);
    metrics.githubApiErrors.inc({ status: status !== undefined && status > 0 ? String(status) : "unknown" });
  };
}
