import type { Context } from "probot";
import type { EventJobPayload, JobKind } from "../job-kinds.js";
import type { Runtime } from "../runtime.js";

/** What became of a delivery, for the log and the webhooks_received metric. */
export type WebhookOutcome = "enqueued" | "duplicate" | "ignored";

/**
 * Records the delivery as its job (one row, one statement), then wakes the worker. A redelivered event (same
 * X-GitHub-Delivery) or the same work under another delivery has the same dedupe key and enqueues nothing.
 */
export async function enqueueEvent(
  rt: Runtime,
  context: Context,
  job: { kind: JobKind; dedupeKey: string; installationId: number; repository: string },
): Promise<WebhookOutcome> {
  const result = await rt.queue.enqueue({
    ...job,
    deliveryId: context.id,
    payload: { event: context.name, deliveryId: context.id, payload: context.payload } satisfies EventJobPayload,
  });
  if (!result.created) {
    context.log.debug({ dedupeKey: job.dedupeKey }, "skipped: this delivery or this work is already queued");
    return "duplicate";
  }
  rt.worker.wake();
  return "enqueued";
}
