import type { Db } from "../db/client.js";
import type { QueueEngine } from "../queue/engine.js";
import { expireApprovals, purgeExpiredData, queueFixTimeouts, queueStalledClaims, vacuum } from "./tasks.js";

interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Housekeeping {
  stop(): Promise<void>;
}

/**
 * Schedules the housekeeping tasks (UTC) on the queue engine's cron: on PostgreSQL each tick runs once across the
 * replicas (pg-boss), on SQLite in this process. Jobs of a dead process need no task: their leases run out.
 */
export async function scheduleHousekeeping(deps: {
  db: Db;
  queue: QueueEngine;
  retentionDays: number;
  /** The job lease, from which claims.ts derives when a claim of the fix loop is stale. */
  jobLeaseMs: number;
  log: Log;
}): Promise<Housekeeping> {
  const { db, queue, log } = deps;
  const task = (name: string, cron: string, work: () => Promise<object>) => ({
    name,
    cron,
    run: async () => log.info({ task: name, ...(await work()) }, "housekeeping done"),
  });
  const stop = await queue.schedule(
    [
      task("purge-expired-data", "17 3 * * *", () => purgeExpiredData(db, queue, deps.retentionDays)),
      task("expire-approvals", "*/30 * * * *", () => expireApprovals(db)),
      task("fix-timeouts", "*/5 * * * *", () => queueFixTimeouts(db, queue)),
      task("stalled-claims", "*/5 * * * *", () => queueStalledClaims(db, queue, deps.jobLeaseMs)),
      task("vacuum", "43 4 * * 0", () => vacuum(db)),
    ],
    log,
  );
  return { stop };
}
