import type { Context } from "probot";

type WorkflowRun = Context<"workflow_run">["payload"]["workflow_run"];

/** The RunAnalysis row of one attempt of a workflow run, as the webhook describes it (fields that never change). */
export function runAnalysisRow(installationId: number, repository: string, run: WorkflowRun, runAttempt: number) {
  return {
    installationId,
    repository,
    runId: BigInt(run.id),
    runAttempt,
    workflowId: BigInt(run.workflow_id),
    workflowName: run.name ?? "workflow",
    workflowPath: run.path,
    headSha: run.head_sha,
    headBranch: run.head_branch,
    headRepository: run.head_repository?.full_name ?? null,
    event: run.event,
    runUrl: run.html_url,
  };
}
