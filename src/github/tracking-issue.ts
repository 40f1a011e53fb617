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

  if (args.issueNumber !== undefined) {
    try {
      const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: args.issueNumber! });
      if (data.state === "open" && !data.pull_request) return { issueNumber: data.number, created: false };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 410) throw error; // deleted or transferred: find or open another
    }
  }

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
  const title = `CI failing: ${oneLine(args.workflowName)} on ${oneLine(args.branch)}`;
  const { data } = await octokit.rest.issues.create({
    owner,
    repo,
    title: title.length > TITLE_MAX_CHARS ? `${title.slice(0, TITLE_MAX_CHARS - 1)}…` : title,
    body: `${args.body}\n\n${marker}`,
    labels: [TRACKING_LABEL],
  });
  return { issueNumber: data.number, created: true };
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

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
