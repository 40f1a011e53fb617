import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { fixClosedJob, fixTimeoutJob } from "./fix-outcome.js";
import { fixRunJob } from "./fix-run.js";
import { markFlakyJob } from "./mark-flaky.js";

export function jobHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    "diagnose-run": diagnoseRunJob(rt),
    "mark-flaky": markFlakyJob(rt),
    command: commandJob(rt),
    "fix-run": fixRunJob(rt),
    "fix-timeout": fixTimeoutJob(rt),
    "fix-closed": fixClosedJob(rt),
  };
}
