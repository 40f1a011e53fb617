import { loadRepoConfig } from "../config/load-config.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { eventContext } from "./event-context.js";
import { publishDiagnosis } from "./publish-diagnosis.js";
import { storedDiagnosis, storedEvidence } from "./stored.js";

/**
 * A rerun of the same commit passed: the failure diagnosed earlier was flaky. The diagnosis is marked so, and the
 * comment says so instead of offering a fix.
 */
export function markFlakyJob(rt: Runtime): JobHandler {
  return async (job) => {
    const context = await eventContext(rt, job, "workflow_run");
    const run = context.payload.workflow_run;
    const { owner, repo } = context.repo();
    const repository = `${owner}/${repo}`;
    const analysis = await rt.db.runAnalysis.findFirst({
      where: { repository, headSha: run.head_sha, workflowId: BigInt(run.workflow_id), status: "diagnosed" },
      include: { diagnosis: true, jobs: true },
      orderBy: { id: "desc" },
    });
    if (!analysis?.diagnosis) {
      context.log.debug("skipped: nothing diagnosed for this commit");
      return;
    }
    if (analysis.diagnosis.flaky) {
      context.log.debug("skipped: already marked flaky");
      return;
    }
    await rt.db.diagnosis.update({ where: { id: analysis.diagnosis.id }, data: { flaky: true } });
    const { config, errors } = await loadRepoConfig(context);
    const d = analysis.diagnosis;
    await publishDiagnosis(rt, context, {
      analysis,
      evidence: analysis.jobs.map(storedEvidence),
      config,
      configErrors: errors,
      flaky: true,
      decision: {
        reused: false,
        diagnosis: storedDiagnosis(d),
      },
    });
    context.log.info({ analysisId: analysis.id }, "earlier failure marked flaky: a rerun of the same commit passed");
  };
}
