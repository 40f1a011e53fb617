// An approval is for the commit the diagnosis read. If the pull request (or branch) has moved on, a fix written for the
// old commit could undo or collide with the new one, so the caller stops and asks for a fresh approval.

import type { Context } from "probot";

type Octokit = Context["octokit"];

export interface HeadMovedInput {
  owner: string;
  repo: string;
  prNumber?: number;
  branch: string;
  approvedSha: string;
}

/** True when the PR's (or else the branch's) current head differs from `approvedSha`; a deleted branch counts as moved. */
export async function headMoved(octokit: Octokit, input: HeadMovedInput): Promise<boolean> {
  const { owner, repo } = input;
  if (input.prNumber !== undefined) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner,
      repo,
      pull_number: input.prNumber,
    });
    return data.head.sha !== input.approvedSha;
  }
  // Nothing to compare against: there is no branch this fix could land on either, so nothing can have moved.
  if (!input.branch) return false;
  try {
    const ref = `heads/${input.branch}`.split("/").map(encodeURIComponent).join("/");
    const { data } = await octokit.request(`GET /repos/{owner}/{repo}/git/ref/${ref}`, { owner, repo });
    return (data as { object?: { sha?: string } }).object?.sha !== input.approvedSha;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return true;
    throw error;
  }
}
