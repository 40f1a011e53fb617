import type { Context } from "probot";
import { commentMarker, findOwnComment } from "../github/sticky-comment.js";
import type { Runtime } from "../runtime.js";

export const HELP_TEXT = [
  "**ci-medic commands** (each on its own line, by someone with write access):",
  "",
  "- `/approve` — show the fix ci-medic proposes for the failure diagnosed above; once shown, `/approve` again pushes exactly that change to a fix pull request. `/approve <hint>` asks for a new proposal with a hint to the model.",
  "- `/reject [reason]` — decline the fix; nothing is pushed.",
  "- `/diagnose` — diagnose the latest failed run again.",
  "- `/ci-medic help` — this message.",
  "",
  "The check run's **Open fix PR** button asks for a proposal like the first `/approve`; it never pushes: only an `/approve` comment written after a change was shown pushes it.",
].join("\n");

/**
 * A comment in the thread; returns its id. Bodies are built by ci-medic; anything untrusted in them is already
 * sanitised.
 */
export async function reply(context: Context, issueNumber: number, body: string): Promise<number> {
  const { owner, repo } = context.repo();
  const { data } = await context.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return data.id;
}

/** GitHub's clock and ours may differ: a retry looks this much further back than the row it posts for. */
const CLOCK_SLACK_MS = 10 * 60_000;

/**
 * A comment that must appear once even when the job dies right after posting it: the body carries a hidden marker
 * (`key`), and a retry (`retried`) first looks for ci-medic's comment with that marker among the thread's comments
 * since `since`, returning its id instead of posting again. A first try does not look: there is nothing to find.
 */
export async function replyOnce(
  rt: Runtime,
  context: Context,
  issueNumber: number,
  body: string,
  opts: { key: string; retried: boolean; since: Date },
): Promise<number> {
  const marker = commentMarker(opts.key);
  if (opts.retried) {
    const { owner, repo } = context.repo();
    const found = await findOwnComment(context.octokit, {
      owner,
      repo,
      issueNumber,
      marker,
      since: new Date(opts.since.getTime() - CLOCK_SLACK_MS),
      appSlug: await rt.appSlug(),
    });
    if (found !== undefined) {
      context.log.info(
        { commentId: found, key: opts.key },
        "found the comment an earlier try posted; not posting again",
      );
      return found;
    }
  }
  return reply(context, issueNumber, `${body}\n\n${marker}`);
}
