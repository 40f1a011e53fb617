import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

/** A hidden HTML comment identifying one of ci-medic's comments. The key cannot close the comment early. */
export function commentMarker(key: string): string {
  return `<!-- ci-medic:${key.replace(/[^A-Za-z0-9:._/=%+-]/g, "_").replace(/-{2,}/g, "-")} -->`;
}

interface ApiComment {
  id: number;
  body?: string | null;
  user: { login: string; type: string } | null;
  performed_via_github_app?: { slug?: string | null } | null;
}

/** True when the comment was written by this app, so a marker pasted by a person or another bot does not count. */
export function isOwnComment(comment: ApiComment, appSlug?: string): boolean {
  if (comment.user?.type !== "Bot") return false;
  if (!appSlug) return true;
  return comment.user.login === `${appSlug}[bot]` || comment.performed_via_github_app?.slug === appSlug;
}

/**
 * Updates ci-medic's comment carrying `marker` in an issue or PR thread, or creates it. `commentId` (stored from an
 * earlier post) saves the search; when it is gone, the thread is searched for the marker.
 */
export async function upsertStickyComment(
  octokit: Octokit,
  args: {
    owner: string;
    repo: string;
    issueNumber: number;
    marker: string;
    body: string;
    commentId?: number;
    appSlug?: string;
  },
): Promise<{ commentId: number; created: boolean }> {
  const { owner, repo, issueNumber, marker } = args;
  const body = args.body.includes(marker) ? args.body : `${args.body}\n\n${marker}`;

  if (args.commentId !== undefined) {
    try {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: args.commentId!, body });
      return { commentId: args.commentId, created: false };
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  const comments: ApiComment[] = await octokit.paginate(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const existing = comments.find((c) => (c.body ?? "").includes(marker) && isOwnComment(c, args.appSlug));
  if (existing) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { commentId: existing.id, created: false };
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return { commentId: data.id, created: true };
}

/**
 * The id of ci-medic's comment carrying `marker` among the thread's comments updated since `since`, if there is one:
 * a job retried after it posted finds what it posted instead of posting it twice. `since` keeps the listing to recent
 * comments in a long thread.
 */
export async function findOwnComment(
  octokit: Octokit,
  args: { owner: string; repo: string; issueNumber: number; marker: string; since: Date; appSlug?: string },
): Promise<number | undefined> {
  const comments: ApiComment[] = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: args.owner,
    repo: args.repo,
    issue_number: args.issueNumber,
    since: args.since.toISOString(),
    per_page: 100,
  });
  return comments.find((c) => (c.body ?? "").includes(args.marker) && isOwnComment(c, args.appSlug))?.id;
}
