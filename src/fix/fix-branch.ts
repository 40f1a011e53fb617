// Names and commit messages of ci-medic's fix branches: the branch name is the idempotency key of a fix, and the
// trailers say which run and which attempt a commit belongs to.

import { sanitiseTitle } from "./pr-body.js";

export const FIX_BRANCH_PREFIX = "ci-medic/fix-";

export function fixBranchName(runId: number, runAttempt = 1): string {
  return runAttempt > 1 ? `${FIX_BRANCH_PREFIX}${runId}-${runAttempt}` : `${FIX_BRANCH_PREFIX}${runId}`;
}

/** The trailer that marks a commit as ci-medic's fix for one run; with the parent check it identifies our commits. */
export function runTrailer(runId: number): string {
  return `Ci-Medic-Run: ${runId}`;
}

export function fixCommitMessage(input: {
  title: string;
  runUrl: string;
  runId: number;
  approvedBy: string;
  attempt: number;
}): string {
  const what = input.attempt > 1 ? `Follow-up (attempt ${input.attempt}) to the fix` : "Fix";
  return [
    sanitiseTitle(input.title, 72),
    "",
    `${what} for the failed run ${input.runUrl}, written by ci-medic and approved by ${input.approvedBy}.`,
    "",
    `Approved-by: ${input.approvedBy}`,
    runTrailer(input.runId),
    ...(input.attempt > 1 ? [`Ci-Medic-Attempt: ${input.attempt}`] : []),
  ].join("\n");
}
