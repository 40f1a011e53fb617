import type { Context } from "probot";
import { authorizeApprover } from "../approval/authorize.js";
import { parseCommand } from "../approval/parse-command.js";
import { loadRepoConfig } from "../config/load-config.js";
import { approverAccess } from "../github/permissions.js";
import type { EventJobPayload } from "../job-kinds.js";
import type { ClaimedJob } from "../queue/types.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { approveFix } from "./approve-fix.js";
import type { CommandRequest } from "./command-request.js";
import { eventContext } from "./event-context.js";
import { rediagnose } from "./rediagnose.js";
import { rejectDiagnosis } from "./reject-diagnosis.js";
import { HELP_TEXT, reply } from "./reply.js";

/** Runs a maintainer's command from a comment or from the check run's button. */
export function commandJob(rt: Runtime): JobHandler {
  return async (job, signal) => {
    const read = await readRequest(rt, job);
    if (!read) return;
    const request = { ...read, finalTry: () => job.attempts >= job.maxAttempts || signal.aborted };
    const { context, command, thread, actor } = request;
    const log = context.log.child({ command: command.name, thread, actor: actor.login });

    if (command.name === "help") {
      await reply(context, thread, HELP_TEXT);
      return;
    }
    const { config } = await loadRepoConfig(context);
    const auth = await authorizeApprover(
      approverAccess(context.octokit),
      { ...context.repo(), login: actor.login, userId: actor.id, userType: actor.type },
      config.approval,
      log,
    );
    if (!auth.allowed) {
      log.info({ reason: auth.reason }, "command refused");
      rt.metrics.approvalsRefused.inc({ reason: "permission" });
      await reply(context, thread, `@${actor.login} ${auth.reason}`);
      return;
    }
    if (command.name === "reject") return rejectDiagnosis(rt, request, config);
    if (command.name === "diagnose") return rediagnose(rt, request);
    return approveFix(rt, request, config);
  };
}

async function readRequest(rt: Runtime, job: ClaimedJob): Promise<CommandRequest | undefined> {
  const event = (job.payload as Partial<EventJobPayload>).event;
  if (event === "check_run") {
    const context = (await eventContext(rt, job, "check_run")) as Context<"check_run.requested_action">;
    const checkRunId = context.payload.check_run.id;
    const analysis = await rt.db.runAnalysis.findFirst({
      where: { repository: context.payload.repository.full_name, checkRunId: BigInt(checkRunId) },
      orderBy: { id: "desc" },
    });
    const number = analysis?.prNumber ?? analysis?.issueNumber;
    if (!number) {
      context.log.info({ checkRunId }, "skipped: the check run's diagnosis has no thread to answer in");
      return undefined;
    }
    const sender = context.payload.sender;
    return {
      context: context as unknown as Context,
      command: { name: "approve", arg: "" },
      thread: number,
      actor: { login: sender.login, id: sender.id, type: sender.type },
      commentId: undefined,
      key: `button:${context.id}`,
    };
  }
  const context = (await eventContext(rt, job, "issue_comment")) as Context<"issue_comment.created">;
  const { comment, issue } = context.payload;
  const command = parseCommand(comment.body ?? "");
  if (!command) return undefined;
  return {
    context: context as unknown as Context,
    command,
    thread: issue.number,
    actor: { login: comment.user?.login ?? "ghost", id: comment.user?.id ?? 0, type: comment.user?.type ?? "User" },
    commentId: comment.id,
    key: `comment:${comment.id}`,
    writtenAt: new Date(comment.created_at),
  };
}
