import { loadRepoConfig } from "../config/load-config.js";
import { shouldWatch } from "../config/match.js";
import type { DiagnosisInput } from "../diagnosis/types.js";
import { asUnreachable } from "../github/errors.js";
import { getWorkflowFile } from "../github/workflow-file.js";
import { redact } from "../logs/redact.js";
import { PermanentJobError, retryAtOf } from "../queue/errors.js";
import type { ClaimedJob } from "../queue/types.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { collectEvidence } from "./collect-evidence.js";
import { decideDiagnosis, runFingerprint } from "./decide-diagnosis.js";
import { eventContext } from "./event-context.js";
import { publishDiagnosis } from "./publish-diagnosis.js";
import { runAnalysisRow } from "./run-analysis-row.js";
import { saveDiagnosis } from "./save-diagnosis.js";
import { storedDiagnosis } from "./stored.js";

/**
 * The main path: a failed run becomes a stored, posted diagnosis. Safe to run again after a crash at any point. When
 * its last attempt fails, the run's analysis ends `failed` with the reason ("could not reach GitHub: …"), not `pending`.
 */
export function diagnoseRunJob(rt: Runtime): JobHandler {
  const diagnose = diagnoseRun(rt);
  return async (job, signal) => {
    try {
      await diagnose(job, signal);
    } catch (error) {
      if (isLastAttempt(job, error)) await markAnalysisFailed(rt, job, error);
      throw error;
    }
  };
}

function diagnoseRun(rt: Runtime): JobHandler {
  return async (job) => {
    const context = await eventContext(rt, job, "workflow_run");
    const run = context.payload.workflow_run;
    const { owner, repo } = context.repo();
    const repository = `${owner}/${repo}`;
    const attempt = run.run_attempt ?? 1;
    const log = context.log.child({ runId: run.id, attempt });

    // Events come out of order: a later attempt already handled makes this one history.
    const newer = await rt.db.runAnalysis.findFirst({
      where: { repository, runId: BigInt(run.id), runAttempt: { gt: attempt } },
      select: { runAttempt: true },
    });
    if (newer) {
      log.debug({ newerAttempt: newer.runAttempt }, "skipped: a later attempt of this run is already handled");
      return;
    }

    const { config, errors: configErrors } = await loadRepoConfig(context);
    if (!config.enabled) {
      log.debug("skipped: ci-medic is disabled in this repository's config");
      return;
    }
    const watch = shouldWatch(config, {
      workflowName: run.name ?? "",
      workflowPath: run.path,
      branch: run.head_branch ?? "",
    });
    if (!watch.watch) {
      log.debug({ reason: watch.reason }, "skipped: workflow or branch not watched");
      return;
    }

    const analysis = await rt.db.runAnalysis.upsert({
      where: { repository_runId_runAttempt: { repository, runId: BigInt(run.id), runAttempt: attempt } },
      create: runAnalysisRow(job.installationId, repository, run, attempt),
      update: {},
      include: { diagnosis: true },
    });
    if (analysis.status === "diagnosed") {
      log.debug("skipped: this attempt is already diagnosed and posted");
      return;
    }

    const evidence = await collectEvidence(rt, context, analysis.id);
    const fingerprint = runFingerprint(evidence);
    await rt.db.runAnalysis.update({ where: { id: analysis.id }, data: { fingerprint } });

    let decision;
    if (analysis.diagnosis) {
      decision = { reused: false, diagnosis: storedDiagnosis(analysis.diagnosis) };
    } else {
      const input: DiagnosisInput = {
        repository,
        workflowName: run.name ?? "workflow",
        headBranch: run.head_branch,
        headSha: run.head_sha,
        jobs: evidence,
        extraInstructions: config.llm.instructions || undefined,
      };
      decision = await decideDiagnosis(rt, {
        analysisId: analysis.id,
        installationId: job.installationId,
        repository,
        fingerprint,
        headRepository: analysis.headRepository,
        input,
        config,
        // Only the model reads the workflow file: fetched when it is actually asked.
        workflowFile: () => getWorkflowFile(context.octokit, { owner, repo, path: run.path, ref: run.head_sha }),
      });
      await saveDiagnosis(rt.db, analysis.id, fingerprint, decision);
    }

    await publishDiagnosis(rt, context, { analysis, evidence, decision, config, configErrors });
    await rt.db.runAnalysis.update({ where: { id: analysis.id }, data: { status: "diagnosed" } });
    log.info(
      { category: decision.diagnosis.category, source: decision.diagnosis.source, reused: decision.reused },
      "diagnosis posted",
    );
  };
}

/** The queue will mark the job dead after this failure (a wait for a rate limit is not an attempt). */
function isLastAttempt(job: ClaimedJob, error: unknown): boolean {
  if (retryAtOf(error)) return false;
  return error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
}

async function markAnalysisFailed(rt: Runtime, job: ClaimedJob, error: unknown): Promise<void> {
  const run = (job.payload as { payload?: { workflow_run?: { id?: number; run_attempt?: number } } } | null)?.payload
    ?.workflow_run;
  if (typeof run?.id !== "number") return;
  const failure = asUnreachable(error);
  // Stored: the error text may quote a token (a URL with credentials, a message from GitHub), as Job.lastError may.
  const detail = redact(failure instanceof Error ? failure.message : String(failure)).slice(0, 500);
  try {
    await rt.db.runAnalysis.updateMany({
      where: { repository: job.repository, runId: BigInt(run.id), runAttempt: run.run_attempt ?? 1, status: "pending" },
      data: { status: "failed", statusDetail: detail },
    });
  } catch (bookkeeping) {
    rt.log.error({ err: bookkeeping, jobId: job.id }, "could not mark the run's analysis failed");
  }
}
