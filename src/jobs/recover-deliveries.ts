import { recentDeliveries, redeliver } from "../github/app-deliveries.js";
import type { Octokit } from "../github/octokit.js";
import type { JobHandler } from "../queue/worker.js";
import { failedGuids, planRedeliveries, type RecoveryLimits } from "../recovery/plan.js";
import type { Runtime } from "../runtime.js";

// Delivery recovery, as a job: the queue runs it once across processes (its dedupe key names the time slot, see
// src/recovery/schedule.ts), retries it on its backoff, and times it in job_duration_seconds{kind="recover-deliveries"}.

export const RECOVERY_LIMITS: RecoveryLimits & { maxAgeMs: number; maxPages: number } = {
  maxRedeliveries: 50,
  maxAttemptsPerEvent: 3,
  // GitHub redelivers only the last 3 days; an hour of margin for the clock and the pass itself.
  maxAgeMs: 71 * 3_600_000,
  maxPages: 10,
};

export function recoverDeliveriesJob(rt: Runtime): JobHandler {
  return async (job) => {
    const log = rt.log.child({ jobId: job.id, kind: job.kind });
    // Not older than the finished jobs ci-medic keeps: a purged job must not look unrecorded.
    const maxAgeMs = Math.min(RECOVERY_LIMITS.maxAgeMs, rt.settings.retentionDays * 86_400_000);
    const octokit: Octokit = await rt.app.auth(); // the App's JWT: no installation
    const since = new Date(Date.now() - maxAgeMs);
    const { deliveries, complete } = await recentDeliveries(octokit, { since, maxPages: RECOVERY_LIMITS.maxPages });
    const failed = failedGuids(deliveries);
    const recorded = failed.length === 0 ? new Set<string>() : await rt.queue.recordedDeliveries(failed);
    const plan = planRedeliveries(deliveries, recorded, RECOVERY_LIMITS);
    const count = (outcome: string, n = 1) => {
      if (n > 0) rt.metrics.webhookRedeliveries.inc({ outcome }, n);
    };
    count("recorded", plan.recorded.length);
    count("given_up", plan.givenUp.length);
    count("over_limit", plan.overLimit.length);
    let requested = 0;
    for (const delivery of plan.redeliver) {
      try {
        await redeliver(octokit, delivery.id);
        requested++;
        count("requested");
      } catch (error) {
        count("error");
        log.warn(
          { err: error, deliveryId: delivery.guid, attemptId: delivery.id, event: delivery.event },
          "GitHub refused to redeliver a failed webhook delivery",
        );
      }
    }
    const summary = {
      listed: deliveries.length,
      failed: failed.length,
      requested,
      recorded: plan.recorded.length,
      givenUp: plan.givenUp.length,
      overLimit: plan.overLimit.length,
      ...(complete ? {} : { truncatedAfterPages: RECOVERY_LIMITS.maxPages }),
    };
    if (requested > 0 || plan.givenUp.length > 0 || plan.overLimit.length > 0)
      log.warn(summary, "delivery recovery: asked GitHub to redeliver failed webhook deliveries");
    else log.info(summary, "delivery recovery: no webhook delivery to recover");
  };
}
