import type { Probot } from "probot";
import type { Runtime } from "../runtime.js";
import { onWorkflowRunCompleted } from "./workflow-run-completed.js";
import { onIssueCommentCreated } from "./issue-comment-created.js";
import { onCheckRunRequestedAction } from "./check-run-requested-action.js";

/** Every event ci-medic listens to, in one place. Handlers only decide and enqueue; jobs do the work. */
export function registerWebhooks(app: Probot, rt: Runtime): void {
  app.on("workflow_run.completed", onWorkflowRunCompleted(rt));
  app.on("issue_comment.created", onIssueCommentCreated(rt));
  app.on("check_run.requested_action", onCheckRunRequestedAction(rt));
}
