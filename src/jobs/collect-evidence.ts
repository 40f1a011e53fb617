import type { Context } from "probot";
import type { JobEvidence } from "../diagnosis/types.js";
import { downloadJobLog } from "../github/download-log.js";
import { listFailedJobs } from "../github/failed-jobs.js";
import { analyzeLog } from "../logs/analyze.js";
import type { Baseline } from "../logs/baseline.js";
import { retryAtOf } from "../queue/errors.js";
import type { Runtime } from "../runtime.js";
import { type GreenBaselineSource, greenBaselines } from "./green-baseline.js";
import { storedEvidence } from "./stored.js";

/**
 * Lists the run's failed jobs, downloads and analyses each log, and stores the redacted evidence. Evidence already
 * stored for this analysis (a retried job) is reused rather than downloaded again. One job's failure is recorded and
 * does not stop the others.
 */
export async function collectEvidence(
  rt: Runtime,
  context: Context<"workflow_run">,
  analysisId: number,
): Promise<JobEvidence[]> {
  const { owner, repo } = context.repo();
  const run = context.payload.workflow_run;
  const stored = await rt.db.failedJob.findMany({ where: { analysisId }, orderBy: { jobId: "asc" } });
  if (stored.length > 0) return stored.map(storedEvidence);

  const jobs = await listFailedJobs(context.octokit, { owner, repo, runId: run.id, attempt: run.run_attempt ?? 1 });
  if (jobs.length === 0) context.log.info("no failed jobs in the run (a workflow-level failure)");
  // A pull request's run is compared with its base branch, a push with its own branch.
  const branch = run.pull_requests?.[0]?.base.ref ?? run.head_branch;
  const greens = branch
    ? greenBaselines(
        context.octokit,
        { owner, repo, workflowId: run.workflow_id, branch },
        { maxBytes: rt.settings.logMaxBytes },
      )
    : undefined;
  const evidence: JobEvidence[] = [];
  for (const job of jobs) {
    const log = context.log.child({ jobId: job.id, job: job.name });
    let item: JobEvidence;
    let logStatus: string;
    try {
      const download = await downloadJobLog(
        context.octokit,
        { owner, repo, jobId: job.id },
        { maxBytes: rt.settings.logMaxBytes },
      );
      if (download.kind !== "ok") {
        logStatus = "expired";
        item = unreadable(job, `The log of this job is no longer available (${download.kind}).`);
      } else {
        const green = await lastGreen(greens, job.name, log);
        const analysis = await analyzeLog(download.log, {
          steps: job.steps,
          repository: `${owner}/${repo}`,
          ...(green ? { baseline: green } : {}),
        });
        logStatus = download.truncated ? "truncated" : "ok";
        item = {
          jobName: job.name,
          jobUrl: job.htmlUrl ?? undefined,
          failedSteps: analysis.failedSteps.length > 0 ? analysis.failedSteps : job.failedSteps,
          failedCommand: analysis.failedCommand,
          excerpt: analysis.excerpt,
          annotations: analysis.annotations,
          category: analysis.category,
          fingerprint: analysis.fingerprint,
          truncated: analysis.truncated || download.truncated,
          ...(analysis.seenInBaseline ? { seenInBaseline: analysis.seenInBaseline } : {}),
        };
      }
    } catch (error) {
      if (retryAtOf(error)) throw error; // rate limited: the whole job waits and comes back
      log.error({ err: error }, "could not read this job's log; continuing with the others");
      logStatus = "error";
      item = unreadable(
        job,
        `ci-medic could not read this job's log (${error instanceof Error ? error.name : "error"}).`,
      );
    }
    await rt.db.failedJob.upsert({
      where: { analysisId_jobId: { analysisId, jobId: BigInt(job.id) } },
      create: {
        analysisId,
        jobId: BigInt(job.id),
        name: item.jobName,
        htmlUrl: item.jobUrl ?? null,
        failedSteps: JSON.stringify(item.failedSteps),
        failedCommand: item.failedCommand ?? null,
        logStatus,
        excerpt: item.excerpt,
        annotations: JSON.stringify(item.annotations),
        category: item.category,
        fingerprint: item.fingerprint || null,
      },
      update: {},
    });
    evidence.push(item);
  }
  return evidence;
}

/**
 * The job's last green log as a baseline, or undefined (none, expired, or the lookup failed): the baseline only
 * re-ranks the excerpt, so no failure of its own may cost the diagnosis.
 */
async function lastGreen(
  greens: GreenBaselineSource | undefined,
  jobName: string,
  log: Context["log"],
): Promise<Baseline | undefined> {
  if (!greens) return undefined;
  try {
    const found = await greens.forJob(jobName);
    if (typeof found === "string") {
      log.info({ baseline: found }, "no last green run to compare with");
      return undefined;
    }
    log.info({ baselineRun: found.runUrl }, "comparing with the last green run");
    return found.baseline;
  } catch (error) {
    log.warn({ err: error }, "could not read the last green run; analysing without it");
    return undefined;
  }
}

function unreadable(job: { name: string; htmlUrl?: string | null; failedSteps: string[] }, why: string): JobEvidence {
  return {
    jobName: job.name,
    jobUrl: job.htmlUrl ?? undefined,
    failedSteps: job.failedSteps,
    excerpt: why,
    annotations: [],
    category: "unknown",
    fingerprint: "",
    truncated: false,
  };
}
