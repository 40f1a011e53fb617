import { randomUUID } from "node:crypto";
import { JOB_KIND } from "../job-kinds.js";
import type { QueueEngine } from "../queue/engine.js";

// When delivery recovery runs: once at each start (deliveries that failed while this server was down or restarting),
// then every RECOVERY_INTERVAL_MS. Each scheduled run is a queued job whose dedupe key names its time slot, so that
// processes sharing a database run it once per slot, wherever it is claimed. A start-up run is this start's own (a
// restart within the same minute must not find its pass already done); two replicas starting together may both ask
// GitHub for the same event, whose second delivery is then a duplicate that enqueues nothing.

export const RECOVERY_INTERVAL_MS = 10 * 60_000;
const RECOVERY_JOB_KIND = JOB_KIND.recoverDeliveries;
/** Recovery is the App's own work, not an installation's: its job rows use installation 0. */
const APP_INSTALLATION = 0;

export interface RecoverySchedule {
  stop(): void;
}

interface Log {
  error(obj: object, msg: string): void;
}

export function scheduleDeliveryRecovery(deps: {
  queue: Pick<QueueEngine, "enqueue">;
  wake: () => void;
  log: Log;
  intervalMs?: number;
  now?: () => number;
}): RecoverySchedule {
  const interval = deps.intervalMs ?? RECOVERY_INTERVAL_MS;
  const now = deps.now ?? Date.now;
  const enqueue = (slot: string) =>
    deps.queue
      .enqueue({
        kind: RECOVERY_JOB_KIND,
        dedupeKey: `${RECOVERY_JOB_KIND}:${slot}`,
        installationId: APP_INSTALLATION,
        repository: "(app)",
        payload: {},
        maxAttempts: 3,
      })
      .then((result) => {
        if (result.created) deps.wake();
      })
      .catch((error: unknown) => deps.log.error({ err: error }, "could not queue delivery recovery"));
  void enqueue(`start:${new Date(now()).toISOString()}:${randomUUID().slice(0, 8)}`);
  const timer = setInterval(() => void enqueue(`every:${Math.floor(now() / interval)}`), interval);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
