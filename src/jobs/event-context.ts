import { Context } from "probot";
import type { EventJobPayload } from "../job-kinds.js";
import { PermanentJobError } from "../queue/errors.js";
import type { ClaimedJob } from "../queue/types.js";
import type { Runtime } from "../runtime.js";

/**
 * Rebuilds the webhook's Context inside the worker with a fresh installation token, so a job behaves as the handler
 * would have (context.config, context.repo, GHE_HOST) even after a restart.
 */
export async function eventContext<E extends Context["name"]>(
  rt: Runtime,
  job: ClaimedJob,
  expected: E,
): Promise<Context<E>> {
  const data = job.payload as Partial<EventJobPayload>;
  if (!data || data.event !== expected || typeof data.payload !== "object" || data.payload === null) {
    throw new PermanentJobError(`job ${job.id} does not carry a ${expected} event`);
  }
  const octokit = await rt.app.auth(job.installationId);
  const runId = (data.payload as { workflow_run?: { id?: number } }).workflow_run?.id;
  const log = rt.log.child({
    deliveryId: data.deliveryId,
    jobId: job.id,
    repository: job.repository,
    ...(runId ? { runId } : {}),
  });
  return new Context(
    { id: data.deliveryId ?? `job-${job.id}`, name: expected, payload: data.payload } as never,
    octokit,
    log,
  ) as Context<E>;
}

/** A Context for the repository of a job that came from no webhook (scheduled work), with a fresh token. */
export async function repositoryContext(rt: Runtime, job: ClaimedJob): Promise<Context> {
  const [owner, name] = job.repository.split("/") as [string, string];
  const octokit = await rt.app.auth(job.installationId);
  const payload = {
    repository: { name, full_name: job.repository, owner: { login: owner } },
    installation: { id: job.installationId },
  };
  return new Context(
    { id: `job-${job.id}`, name: "workflow_run", payload } as never,
    octokit,
    rt.log.child({ jobId: job.id, repository: job.repository }),
  );
}
