import { asUnreachable } from "../github/errors.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { markFlakyJob } from "./mark-flaky.js";
import { recoverDeliveriesJob } from "./recover-deliveries.js";

export function jobHandlers(rt: Runtime): Record<string, JobHandler> {
  const handlers: Record<string, JobHandler> = {
    "diagnose-run": diagnoseRunJob(rt),
    "mark-flaky": markFlakyJob(rt),
    command: commandJob(rt),
    "recover-deliveries": recoverDeliveriesJob(rt),
  };
  return Object.fromEntries(Object.entries(handlers).map(([kind, handler]) => [kind, namingUnreachable(handler)]));
}

/** A job that failed because GitHub could not be reached says so (log line, Job.lastError); it retries as usual. */
function namingUnreachable(handler: JobHandler): JobHandler {
  return async (job, signal) => {
    try {
      await handler(job, signal);
    } catch (error) {
      throw asUnreachable(error);
    }
  };
}
