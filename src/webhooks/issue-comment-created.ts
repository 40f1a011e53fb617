import type { Context } from "probot";
import { parseCommand } from "../approval/parse-command.js";
import { JOB_KIND } from "../job-kinds.js";
import type { Runtime } from "../runtime.js";
import { enqueueEvent, type WebhookOutcome } from "./enqueue.js";

/**
 * One job per thread, command, commenter and minute: fifty `/approve` comments in a burst make one permission look-up
 * and one reply, not fifty. Per commenter, so someone without access cannot swallow a maintainer's command; per
 * minute, so a later command (a retry with a hint) is its own job.
 */
export function commandDedupeKey(
  repository: string,
  thread: number,
  command: string,
  comment: { id: number; created_at?: string; user?: { id: number } | null },
): string {
  const at = Date.parse(comment.created_at ?? "");
  const minute = Math.floor((Number.isNaN(at) ? Date.now() : at) / 60_000);
  return `command:${repository}:${thread}:${command}:${comment.user?.id ?? comment.id}:${minute}`;
}

/** `/approve`, `/reject`, `/diagnose`, `/ci-medic help` in a new comment (edits never count: `.created` only). */
export function onIssueCommentCreated(rt: Runtime) {
  return async (context: Context<"issue_comment.created">): Promise<WebhookOutcome> => {
    const { comment, issue, repository } = context.payload;
    const installationId = context.payload.installation?.id;
    const log = context.log.child({ repository: repository.full_name, issue: issue.number, commentId: comment.id });
    if (!installationId) {
      log.debug("skipped: no installation in the payload");
      return "ignored";
    }
    const command = parseCommand(comment.body ?? "");
    if (!command) {
      log.debug("skipped: no ci-medic command in the comment");
      return "ignored";
    }
    if (command.name !== "help") {
      // Only threads that hold a ci-medic diagnosis: elsewhere `/approve` belongs to someone else's bot or workflow.
      const known = await rt.db.runAnalysis.findFirst({
        where: { repository: repository.full_name, OR: [{ prNumber: issue.number }, { issueNumber: issue.number }] },
        select: { id: true },
      });
      if (!known) {
        log.debug({ command: command.name }, "skipped: no ci-medic diagnosis in this thread");
        return "ignored";
      }
    }
    if (comment.user?.type === "Bot") {
      const slug = await rt.appSlug();
      if (comment.user.login === `${slug}[bot]` || comment.performed_via_github_app?.slug === slug) {
        log.debug("skipped: ci-medic's own comment");
        return "ignored";
      }
      // Other bots are checked against the repository's allow-list of bot ids in the job.
    }
    const outcome = await enqueueEvent(rt, context, {
      kind: JOB_KIND.command,
      dedupeKey: commandDedupeKey(repository.full_name, issue.number, command.name, comment),
      installationId,
      repository: repository.full_name,
    });
    log.info({ command: command.name, outcome }, "command received");
    return outcome;
  };
}
