import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { markFlakyJob } from "./mark-flaky.js";

export function jobHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    "diagnose-run": diagnoseRunJob(rt),
    "mark-flaky": markFlakyJob(rt),
    command: commandJob(rt),
  };
}
