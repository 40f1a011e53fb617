import type { Context } from "probot";
import { FIX_BRANCH_PREFIX } from "../fix/fix-branch.js";
import { JOB_KIND } from "../job-kinds.js";
import type { Runtime } from "../runtime.js";
import { enqueueEvent, type WebhookOutcome } from "./enqueue.js";

/** A fix pull request merged or closed: its outcome is recorded (a job, like every other piece of work). */
export function onPullRequestClosed(rt: Runtime) {
  return async (context: Context<"pull_request.closed">): Promise<WebhookOutcome> => {
    const { pull_request: pr, repository } = context.payload;
    const installationId = context.payload.installation?.id;
    const log = context.log.child({ repository: repository.full_name, pr: pr.number });
    if (!installationId) {
      log.debug("skipped: no installation in the payload");
      return "ignored";
    }
    if (!pr.head.ref.startsWith(FIX_BRANCH_PREFIX) || pr.head.repo?.full_name !== repository.full_name) {
      log.debug("skipped: not a ci-medic fix pull request");
      return "ignored";
    }
    return enqueueEvent(rt, context, {
      kind: JOB_KIND.fixClosed,
      dedupeKey: `fix-closed:${repository.full_name}:${pr.number}:${context.id}`,
      installationId,
      repository: repository.full_name,
    });
  };
}
