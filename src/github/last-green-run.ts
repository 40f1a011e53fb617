import type { Octokit } from "./octokit.js";

/** The most recent successful run of a workflow on a branch. */
export interface GreenRun {
  id: number;
  headSha: string;
  htmlUrl: string;
}

/** A job of that run with the name of a failed job. */
export interface GreenJob {
  id: number;
  name: string;
  htmlUrl: string | null;
}

/**
 * `GET /repos/{o}/{r}/actions/workflows/{id}/runs?branch=…&status=success&per_page=1`: the newest successful run of
 * the workflow on the branch, or undefined when it never passed there. One call, whatever the run's size.
 */
export async function findLastGreenRun(
  octokit: Octokit,
  args: { owner: string; repo: string; workflowId: number; branch: string },
): Promise<GreenRun | undefined> {
  const { data } = await octokit.rest.actions.listWorkflowRuns({
    owner: args.owner,
    repo: args.repo,
    workflow_id: args.workflowId,
    branch: args.branch,
    status: "success",
    exclude_pull_requests: true,
    per_page: 1,
  });
  const run = data.workflow_runs[0];
  return run ? { id: run.id, headSha: run.head_sha, htmlUrl: run.html_url } : undefined;
}

/**
 * The jobs of a green run that passed, by name (`GET …/actions/runs/{id}/jobs?filter=latest`, first page of 100: a
 * job beyond it is looked up no further). Names are what ties a failed job to its passing counterpart.
 */
export async function listGreenJobs(
  octokit: Octokit,
  args: { owner: string; repo: string; runId: number },
): Promise<Map<string, GreenJob>> {
  const { data } = await octokit.rest.actions.listJobsForWorkflowRun({
    owner: args.owner,
    repo: args.repo,
    run_id: args.runId,
    filter: "latest",
    per_page: 100,
  });
  const out = new Map<string, GreenJob>();
  for (const j of data.jobs)
    if (j.conclusion === "success") out.set(j.name, { id: j.id, name: j.name, htmlUrl: j.html_url ?? null });
  return out;
}
