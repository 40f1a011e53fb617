import { statusOf } from "../github/errors.js";
import type { Metrics } from "./metrics.js";

// Counts GitHub API errors by status, given to the error hook of every Octokit Probot creates (src/github/octokit.ts):
// `githubOctokit(countGitHubErrors(metrics))`. 404s are counted too: a missing config file or an expired log is a
// 404, and a spike of them is worth seeing. A rate limit is counted here by its status, and its wait by the worker.

export function countGitHubErrors(metrics: Pick<Metrics, "githubApiErrors">) {
  return (error: unknown): void => {
    const status = statusOf(error);
    metrics.githubApiErrors.inc({ status: status !== undefined && status > 0 ? String(status) : "network" });
  };
}
