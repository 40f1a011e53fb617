import type { MetricsJson } from "../observability/metrics.js";
import type { Settings } from "../runtime.js";

// The messages between the server's main thread (thread-host.ts) and the job thread (job-thread.ts). Plain data only:
// they are structured-cloned. No secret crosses here: the thread reads them from its copy of the environment.

/** `workerData` of the job thread: what start-up validated, minus the secrets. */
export interface JobThreadData {
  databaseUrl: string;
  settings: Settings;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  logFormat: "json" | "pretty";
}

export type ToJobThread =
  /** A job was enqueued. */
  | { type: "wake" }
  /** Send your metrics (`registry.getMetricsAsJSON()`), answered with the same id. */
  | { type: "metrics"; id: number }
  /** Graceful shutdown: `worker.stop(deadlineMs)`, disconnect, answer "stopped". */
  | { type: "stop"; deadlineMs: number };

export type FromJobThread =
  /** The worker has started (and takes back the jobs whose lease ran out: a dead thread's or process's). */
  | { type: "ready" }
  | { type: "metrics"; id: number; metrics: MetricsJson }
  /** Running jobs finished or were released, the database is disconnected: the thread is about to end. */
  | { type: "stopped" };
