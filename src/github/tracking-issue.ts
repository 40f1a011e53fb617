import { plainLine } from "../output/markdown.js";
import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";
import { commentMarker } from "./sticky-comment.js";

export const TRACKING_LABEL = "ci-medic";
const TITLE_MAX_CHARS = 256;

/** Identifies the tracking issue of one workflow on one branch (both encoded, so no name can forge or break it). */
export function trackingMarker(workflowPath: string, branch: string): string {
  return commentMarker(`tracking:${encodeURIComponent(workflowPath)}:${encodeURIComponent(branch)}`);
}

interface ApiIssue {
  number: number;
  state: string;
  body?: string | null;
  pull_request?: unknown;
}

/**
 * The one open issue tracking failures of a workflow on a branch: the known one when still open, else an open issue
 * labelled `ci-medic` carrying the marker, else a new one. Its body is a short stable description; the diagnosis
 * lives in the sticky comment on it.
 */
export async function upsertTrackingIssue(
  octokit: Octokit,
  args: {
    owner: string;
    repo: string;
    workflowName: string;
    workflowPath: string;
    branch: string;
    body: string;
    issueNumber?: number;
  },
): Promise<{ issueNumber: number; created: boolean }> {
  const { owner, repo } = args;
  const marker = trackingMarker(args.workflowPath, args.branch);

  if (args.issueNumber !== undefined && (await isOpenHere(octokit, owner, repo, args.issueNumber)))
    return { issueNumber: args.issueNumber, created: false };

  const open: ApiIssue[] = await octokit.paginate(octokit.rest.issues.listForRepo, {
    owner,
    repo,
    state: "open",
    labels: TRACKING_LABEL,
    per_page: 100,
  });
  // Only people with triage rights can label an issue, so the label plus the marker is hard to forge.
  const found = open.find((i) => !i.pull_request && (i.body ?? "").includes(marker));
  if (found) return { issueNumber: found.number, created: false };

  await ensureLabel(octokit, owner, repo);
  const title = plainLine(`CI failing: ${args.workflowName} on ${args.branch}`, TITLE_MAX_CHARS);
  const { data } = await octokit.rest.issues.create({
    owner,
    repo,
    title,
    body: `${args.body}\n\n${marker}`,
    labels: [TRACKING_LABEL],
  });
  return { issueNumber: data.number, created: true };
}

/**
 * Whether the known tracking issue is still an open issue of this repository. A deleted issue answers 404 or 410; a
 * transferred one 301 to its new home, which is not followed (it would be another repository's issue, with another
 * number): both count as gone, and the repository is searched for another one.
 */
async function isOpenHere(octokit: Octokit, owner: string, repo: string, issueNumber: number): Promise<boolean> {
  let response;
  try {
    response = await octokit.rest.issues.get({
      owner,
      repo,
      issue_number: issueNumber,
      request: { redirect: "manual" },
    });
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 410) return false;
    throw error;
  }
  if ((response.status as number) !== 200) return false;
  const { data } = response;
  // A client or proxy that followed the redirect anyway: the issue's repository says where it lives now.
  const here = `/repos/${owner}/${repo}`.toLowerCase();
  if (!data.repository_url.toLowerCase().endsWith(here)) return false;
  return data.state === "open" && !data.pull_request && data.number === issueNumber;
}

async function ensureLabel(octokit: Octokit, owner: string, repo: string): Promise<void> {
  try {
    await octokit.rest.issues.getLabel({ owner, repo, name: TRACKING_LABEL });
    return;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  try {
    await octokit.rest.issues.createLabel({
      owner,
      repo,
      name: TRACKING_LABEL,
      color: "d93f0b",
      description: "CI failures tracked by ci-medic",
    });
  } catch (error) {
    if (statusOf(error) !== 422) throw error; // created meanwhile by a concurrent job
  }
}
