import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { commandJob } from "./command-job.js";
import { diagnoseRunJob } from "./diagnose-run.js";
import { markFlakyJob } from "./mark-flaky.js";
import { withTimeBudget } from "./time-budget.js";

export function jobHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    "diagnose-run": withTimeBudget(diagnoseRunJob(rt)),
    "mark-flaky": withTimeBudget(markFlakyJob(rt)),
    command: withTimeBudget(commandJob(rt)),
  };
}
