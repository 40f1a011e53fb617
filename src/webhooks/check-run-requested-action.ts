import type { Context } from "probot";
import { JOB_KIND, OPEN_FIX_ACTION } from "../job-kinds.js";
import type { Runtime } from "../runtime.js";
import { enqueueEvent, type WebhookOutcome } from "./enqueue.js";

/** The check run's "Open fix PR" button: the same as `/approve` from whoever pressed it. */
export function onCheckRunRequestedAction(rt: Runtime) {
  return async (context: Context<"check_run.requested_action">): Promise<WebhookOutcome> => {
    const { check_run: checkRun, requested_action: action, repository } = context.payload;
    const installationId = context.payload.installation?.id;
    if (!installationId) {
      context.log.debug("skipped: no installation in the payload");
      return "ignored";
    }
    if (action?.identifier !== OPEN_FIX_ACTION.identifier) {
      context.log.debug({ identifier: action?.identifier }, "skipped: not a ci-medic action");
      return "ignored";
    }
    return enqueueEvent(rt, context, {
      kind: JOB_KIND.command,
      dedupeKey: `action:${repository.full_name}:${checkRun.id}:${context.id}`,
      installationId,
      repository: repository.full_name,
    });
  };
}
