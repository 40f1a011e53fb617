// An approval is for the commit it was shown against. If the pull request (or branch) has moved on, or the pull request
// was closed, a fix written for the old commit could undo or collide with the new one, so the caller stops and shows
// the change again (or stops for good).

import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

export interface HeadMovedInput {
  owner: string;
  repo: string;
  prNumber?: number;
  branch: string;
  approvedSha: string;
}

export type HeadState = { kind: "same" } | { kind: "moved"; sha: string | null } | { kind: "closed" };

/** Where the PR's (or else the branch's) head is now; a deleted branch counts as moved, a closed PR as closed. */
export async function headState(octokit: Octokit, input: HeadMovedInput): Promise<HeadState> {
  const { owner, repo } = input;
  if (input.prNumber !== undefined) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner,
      repo,
      pull_number: input.prNumber,
    });
    if (data.state === "closed") return { kind: "closed" };
    return data.head.sha === input.approvedSha ? { kind: "same" } : { kind: "moved", sha: data.head.sha };
  }
  // Nothing to compare against: there is no branch this fix could land on either, so nothing can have moved.
  if (!input.branch) return { kind: "same" };
  try {
    const ref = `heads/${input.branch}`.split("/").map(encodeURIComponent).join("/");
    const { data } = await octokit.request(`GET /repos/{owner}/{repo}/git/ref/${ref}`, { owner, repo });
    const sha = (data as { object?: { sha?: string } }).object?.sha ?? null;
    return sha === input.approvedSha ? { kind: "same" } : { kind: "moved", sha };
  } catch (error) {
    if (statusOf(error) === 404) return { kind: "moved", sha: null };
    throw error;
  }
}

/** True when the PR's (or else the branch's) current head differs from `approvedSha`, or the PR is closed. */
export async function headMoved(octokit: Octokit, input: HeadMovedInput): Promise<boolean> {
  return (await headState(octokit, input)).kind !== "same";
}

/** Whether a pull request is still open (a fix PR closed by a maintainer ends the attempts). */
export async function pullIsOpen(
  octokit: Octokit,
  input: { owner: string; repo: string; prNumber: number },
): Promise<boolean> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
    owner: input.owner,
    repo: input.repo,
    pull_number: input.prNumber,
  });
  return data.state === "open";
}
