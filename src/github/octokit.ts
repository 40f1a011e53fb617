import type { ProbotOctokit } from "probot";

/** An installation client as Probot hands it out (`context.octokit`); never created here, so GHE_HOST applies. */
export type Octokit = InstanceType<typeof ProbotOctokit>;
