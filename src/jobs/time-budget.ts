import { PermanentJobError } from "../queue/errors.js";
import type { JobHandler } from "../queue/worker.js";

// One bad job must not hold a worker slot: past its budget the job is failed for good and the slot is freed. The
// handler's signal is aborted so the work it awaits (GitHub, the model) stops; CPU-bound work is bounded by the input
// limits instead (fix size, line length, linear globs), since JavaScript cannot interrupt a running loop.

/** Time one job may take, every GitHub call and model call included. */
export const JOB_TIME_BUDGET_MS = 10 * 60_000;

export class JobTimeBudgetError extends PermanentJobError {
  constructor(ms: number) {
    super(`the job took longer than its time budget (${Math.round(ms / 1000)} s) and was stopped`);
    this.name = "JobTimeBudgetError";
  }
}

export function withTimeBudget(handler: JobHandler, ms = JOB_TIME_BUDGET_MS): JobHandler {
  return async (job, signal) => {
    const controller = new AbortController();
    const stop = () => controller.abort(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new JobTimeBudgetError(ms);
        controller.abort(error);
        reject(error);
      }, ms);
    });
    try {
      await Promise.race([handler(job, controller.signal), expired]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
    }
  };
}
