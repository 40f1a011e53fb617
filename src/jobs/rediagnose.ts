import { type EventJobPayload, JOB_KIND } from "../job-kinds.js";
import type { Runtime } from "../runtime.js";
import type { CommandRequest } from "./command-request.js";
import { reply } from "./reply.js";
import { latestDiagnosisInThread } from "./thread-analysis.js";

/**
 * `/diagnose`: forget the stored diagnosis of the thread's latest failed run and run the main path again, with the run
 * as GitHub reports it now (the original webhook may be long gone).
 */
export async function rediagnose(rt: Runtime, request: CommandRequest): Promise<void> {
  const { context, thread } = request;
  const { owner, repo } = context.repo();
  const repository = `${owner}/${repo}`;
  const analysis = await latestDiagnosisInThread(rt, repository, thread);
  if (!analysis) {
    await reply(
      context,
      thread,
      "There is no failed run diagnosed in this thread yet; ci-medic diagnoses new failures as they happen.",
    );
    return;
  }
  const { data: run } = await context.octokit.rest.actions.getWorkflowRun({
    owner,
    repo,
    run_id: Number(analysis.runId),
  });
  await rt.db.$transaction([
    rt.db.failedJob.deleteMany({ where: { analysisId: analysis.id } }),
    rt.db.diagnosis.deleteMany({ where: { analysisId: analysis.id } }),
    rt.db.runAnalysis.update({ where: { id: analysis.id }, data: { status: "pending" } }),
  ]);
  const event = context.payload as { repository?: unknown; installation?: { id: number } };
  const installationId = event.installation?.id;
  if (!installationId) return;
  const payload = {
    action: "completed",
    workflow_run: run,
    repository: event.repository,
    installation: event.installation,
  };
  await rt.queue.enqueue({
    kind: JOB_KIND.diagnoseRun,
    dedupeKey: `rediagnose:${repository}:${analysis.id}:${request.commentId ?? context.id}`,
    installationId,
    repository,
    deliveryId: context.id,
    payload: { event: "workflow_run", deliveryId: context.id, payload } satisfies EventJobPayload,
  });
  rt.worker.wake();
  await reply(
    context,
    thread,
    `Diagnosing [run ${analysis.runId}](${analysis.runUrl}) again; the comment above will be updated.`,
  );
}
