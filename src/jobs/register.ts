import { asUnreachable } from "../github/errors.js";
import { JOB_KIND, type JobKind } from "../job-kinds.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { fixClosedJob, fixTimeoutJob } from "./fix-outcome.js";
import { fixRunJob } from "./fix-run.js";
import { fixStalledJob } from "./fix-stalled.js";
import { markFlakyJob } from "./mark-flaky.js";
import { recoverDeliveriesJob } from "./recover-deliveries.js";
import { withTimeBudget } from "./time-budget.js";

export function jobHandlers(rt: Runtime): Record<JobKind, JobHandler> {
  return {
    [JOB_KIND.diagnoseRun]: withTimeBudget(namingUnreachable(diagnoseRunJob(rt))),
    [JOB_KIND.markFlaky]: withTimeBudget(namingUnreachable(markFlakyJob(rt))),
    [JOB_KIND.command]: withTimeBudget(namingUnreachable(commandJob(rt))),
    [JOB_KIND.recoverDeliveries]: withTimeBudget(namingUnreachable(recoverDeliveriesJob(rt))),
    [JOB_KIND.fixRun]: withTimeBudget(namingUnreachable(fixRunJob(rt))),
    [JOB_KIND.fixTimeout]: withTimeBudget(namingUnreachable(fixTimeoutJob(rt))),
    [JOB_KIND.fixStalled]: withTimeBudget(namingUnreachable(fixStalledJob(rt))),
    [JOB_KIND.fixClosed]: withTimeBudget(namingUnreachable(fixClosedJob(rt))),
  };
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
