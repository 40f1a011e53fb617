import cron from "node-cron";
import type { Db } from "../db/client.js";
import type { JobQueue } from "../queue/types.js";
import { expireApprovals, purgeExpiredData, queueFixTimeouts, requeueStuckJobs, vacuum } from "./tasks.js";

interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Housekeeping {
  stop(): Promise<void>;
}

/** Schedules the housekeeping tasks (UTC). `noOverlap`: a slow run is never doubled by the next tick. */
export function scheduleHousekeeping(deps: { db: Db; queue: JobQueue; retentionDays: number; log: Log }): Housekeeping {
  const { db, queue, log } = deps;
  const tasks = [
    cron.schedule(
      "17 3 * * *",
      run("purge-expired-data", () => purgeExpiredData(db, deps.retentionDays)),
      opts("purge"),
    ),
    cron.schedule(
      "*/30 * * * *",
      run("expire-approvals", () => expireApprovals(db)),
      opts("approvals"),
    ),
    cron.schedule(
      "*/5 * * * *",
      run("requeue-stuck-jobs", () => requeueStuckJobs(queue)),
      opts("stuck-jobs"),
    ),
    cron.schedule(
      "*/5 * * * *",
      run("fix-timeouts", () => queueFixTimeouts(db, queue)),
      opts("fix-timeouts"),
    ),
    cron.schedule(
      "43 4 * * 0",
      run("vacuum", () => vacuum(db)),
      opts("vacuum"),
    ),
  ];
  function opts(name: string) {
    return { name: `ci-medic:${name}`, noOverlap: true, timezone: "UTC" };
  }
  function run(name: string, task: () => Promise<object>) {
    return async () => {
      try {
        log.info({ task: name, ...(await task()) }, "housekeeping done");
      } catch (error) {
        log.error({ err: error, task: name }, "housekeeping task failed");
      }
    };
  }
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
