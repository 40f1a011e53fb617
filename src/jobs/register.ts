import { JOB_KIND, type JobKind } from "../job-kinds.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { markFlakyJob } from "./mark-flaky.js";
import { withTimeBudget } from "./time-budget.js";

export function jobHandlers(rt: Runtime): Record<JobKind, JobHandler> {
  return {
    [JOB_KIND.diagnoseRun]: withTimeBudget(diagnoseRunJob(rt)),
    [JOB_KIND.markFlaky]: withTimeBudget(markFlakyJob(rt)),
    [JOB_KIND.command]: withTimeBudget(commandJob(rt)),
  };
}
