import type { Probot } from "probot";
import type { Runtime } from "../runtime.js";
import { onCheckRunRequestedAction } from "./check-run-requested-action.js";
import type { WebhookOutcome } from "./enqueue.js";
import { onIssueCommentCreated } from "./issue-comment-created.js";
import { onPullRequestClosed } from "./pull-request-closed.js";
import { onWorkflowRunCompleted } from "./workflow-run-completed.js";

/** Every event ci-medic listens to, in one place. Handlers only decide and enqueue; jobs do the work. */
export function registerWebhooks(app: Probot, rt: Runtime): void {
  app.on("workflow_run.completed", counted(rt, "workflow_run", onWorkflowRunCompleted(rt)));
  app.on("issue_comment.created", counted(rt, "issue_comment", onIssueCommentCreated(rt)));
  app.on("check_run.requested_action", counted(rt, "check_run", onCheckRunRequestedAction(rt)));
  app.on("pull_request.closed", counted(rt, "pull_request", onPullRequestClosed(rt)));
}

/** Counts every delivery by what became of it; a handler that throws counts as "error" (Probot answers 500). */
function counted<C>(rt: Runtime, event: string, handler: (context: C) => Promise<WebhookOutcome>) {
  return async (context: C): Promise<void> => {
    try {
      const outcome = await handler(context);
      rt.metrics.webhooksReceived.inc({ event, outcome });
    } catch (error) {
      rt.metrics.webhooksReceived.inc({ event, outcome: "error" });
      throw error;
    }
  };
}
