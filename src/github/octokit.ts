import { ProbotOctokit } from "probot";
import { asRateLimited } from "./errors.js";

/** An installation client as Probot hands it out (`context.octokit`), from the class below so GHE_HOST applies. */
export type Octokit = InstanceType<typeof ProbotOctokit>;

interface HookableOctokit {
  hook: { error(name: "request", hook: (error: unknown) => unknown): void };
}

/**
 * The one place GitHub's failures are translated, on every request of every client made from the class (Probot makes
 * one per event and installation): each failure is shown to `onError` (the metrics), and a rate-limit answer is
 * thrown as a RateLimitedError. The hook sees what Probot's own retry and throttling plugins gave up on.
 */
export function githubErrorHook(onError?: (error: unknown) => void) {
  return (octokit: HookableOctokit): void => {
    octokit.hook.error("request", (error: unknown) => {
      onError?.(error);
      throw asRateLimited(error) ?? error;
    });
  };
}

/** The Octokit class ci-medic hands to Probot (server, job thread, tests): Probot's, with the error hook. */
export function githubOctokit(onError?: (error: unknown) => void): typeof ProbotOctokit {
  return ProbotOctokit.plugin(githubErrorHook(onError));
}
