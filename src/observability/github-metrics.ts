import { networkFailureOf } from "../github/errors.js";
import type { Metrics } from "./metrics.js";

// Counts GitHub API errors by status on every Octokit instance Probot creates (one per event and installation):
// `run(appFn, { Octokit: ProbotOctokit.plugin(githubMetricsPlugin(metrics)) })`, or `Probot.defaults({ Octokit })`.
// 404s are counted too: a missing config file or an expired log is a 404, and a spike of them is worth seeing.
// A call that got no answer at all (DNS, refused connection, TLS, timeout) is not an answer: it is counted by its cause
// in github_unreachable_total (src/github/client.ts, at the fetch, so that installation-token requests count too),
// never as the 500 Octokit dresses it in.

interface HookableOctokit {
  hook: { error(name: "request", hook: (error: unknown, options: unknown) => unknown): void };
}

export function githubMetricsPlugin(metrics: Pick<Metrics, "githubApiErrors">) {
  return (octokit: HookableOctokit): void => {
    octokit.hook.error("request", (error: unknown) => {
      if (networkFailureOf(error)) throw error;
      const status = (error as { status?: unknown } | null)?.status;
      metrics.githubApiErrors.inc({ status: typeof status === "number" && status > 0 ? String(status) : "unknown" });
      throw error;
    });
  };
}
