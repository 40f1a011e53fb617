import type { Context } from "probot";
import { JOB_KIND } from "../job-kinds.js";
import type { Runtime } from "../runtime.js";
import { enqueueEvent, type WebhookOutcome } from "./enqueue.js";
import { fixOfRun, isOwnRun } from "./own-run.js";

const DIAGNOSED_CONCLUSIONS = new Set(["failure", "timed_out"]);

export function onWorkflowRunCompleted(rt: Runtime) {
  return async (context: Context<"workflow_run.completed">): Promise<WebhookOutcome> => {
    const run = context.payload.workflow_run;
    const repository = context.payload.repository.full_name;
    const installationId = context.payload.installation?.id;
    const log = context.log.child({ repository, runId: run.id, attempt: run.run_attempt });

    if (!installationId) {
      log.debug("skipped: no installation in the payload");
      return "ignored";
    }
    if (await fixOfRun(rt, repository, run)) {
      // Whatever the conclusion: a success may verify the fix, a failure may lead to the next attempt.
      return enqueueEvent(rt, context, {
        kind: JOB_KIND.fixRun,
        dedupeKey: `fix-run:${repository}:${run.id}:${run.run_attempt}`,
        installationId,
        repository,
      });
    }
    if (await isOwnRun(rt, run)) {
      log.debug("skipped: a run ci-medic itself caused");
      return "ignored";
    }
    if (run.conclusion === "success") {
      // A rerun of the same commit that passes turns an earlier diagnosis into a flaky one.
      const earlier = await rt.db.runAnalysis.findFirst({
        where: { repository, headSha: run.head_sha, workflowId: BigInt(run.workflow_id), status: "diagnosed" },
        select: { id: true },
      });
      if (!earlier) {
        log.debug("skipped: the run succeeded and nothing was diagnosed for this commit");
        return "ignored";
      }
      return enqueueEvent(rt, context, {
        kind: JOB_KIND.markFlaky,
        dedupeKey: `flaky:${repository}:${run.id}:${run.run_attempt}`,
        installationId,
        repository,
      });
    }
    if (!run.conclusion || !DIAGNOSED_CONCLUSIONS.has(run.conclusion)) {
      log.debug({ conclusion: run.conclusion }, "skipped: conclusion is not a failure");
      return "ignored";
    }
    const outcome = await enqueueEvent(rt, context, {
      kind: JOB_KIND.diagnoseRun,
      dedupeKey: `diagnose:${repository}:${run.id}:${run.run_attempt}`,
      installationId,
      repository,
    });
    if (outcome === "enqueued") log.info("failed run queued for diagnosis");
    return outcome;
  };
}
