import { JOB_KIND, type JobKind } from "../job-kinds.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { markFlakyJob } from "./mark-flaky.js";

export function jobHandlers(rt: Runtime): Record<JobKind, JobHandler> {
  return {
    [JOB_KIND.diagnoseRun]: diagnoseRunJob(rt),
    [JOB_KIND.markFlaky]: markFlakyJob(rt),
    [JOB_KIND.command]: commandJob(rt),
  };
}
