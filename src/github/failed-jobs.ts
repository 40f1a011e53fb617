import type { StepInfo } from "../logs/types.js";
import type { Octokit } from "./octokit.js";

export interface FailedJob {
  id: number;
  name: string;
  htmlUrl: string | null;
  conclusion: "failure" | "timed_out";
  steps: StepInfo[];
  /** Names of the steps that failed; for a timed-out job, the step that was cut off (GitHub marks it cancelled). */
  failedSteps: string[];
}

interface ApiStep {
  name: string;
  number: number;
  status?: string;
  conclusion: string | null;
  started_at?: string | null;
  completed_at?: string | null;
}

interface ApiJob {
  id: number;
  run_attempt?: number;
  name: string;
  html_url: string | null;
  conclusion: string | null;
  steps?: ApiStep[];
}

const FAILED = new Set(["failure", "timed_out"]);

/**
 * The failed jobs of one attempt of a run, with their failed steps. Always the attempt being diagnosed: the run's
 * plain job list (`filter=latest`) follows the newest attempt, so a re-run started meanwhile would lend its jobs to
 * the older attempt's diagnosis. A job GitHub lists for another attempt is left out.
 */
export async function listFailedJobs(
  octokit: Octokit,
  args: { owner: string; repo: string; runId: number; attempt: number },
): Promise<FailedJob[]> {
  const { owner, repo, runId, attempt } = args;
  const jobs: ApiJob[] = await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRunAttempt, {
    owner,
    repo,
    run_id: runId,
    attempt_number: attempt,
    per_page: 100,
  });
  return jobs
    .filter((job) => job.run_attempt === undefined || job.run_attempt === attempt)
    .filter((job) => job.conclusion !== null && FAILED.has(job.conclusion))
    .map(toFailedJob);
}

function toFailedJob(job: ApiJob): FailedJob {
  const steps: StepInfo[] = (job.steps ?? []).map((s) => ({
    name: s.name,
    number: s.number,
    conclusion: s.conclusion,
    status: s.status,
    started_at: s.started_at ?? null,
    completed_at: s.completed_at ?? null,
  }));
  let failed = steps.filter((s) => s.conclusion === "failure" || s.conclusion === "timed_out");
  if (failed.length === 0 && job.conclusion === "timed_out")
    failed = steps.filter((s) => s.conclusion === "cancelled").slice(0, 1);
  return {
    id: job.id,
    name: job.name,
    htmlUrl: job.html_url ?? null,
    conclusion: job.conclusion as FailedJob["conclusion"],
    steps,
    failedSteps: failed.map((s) => s.name),
  };
}
