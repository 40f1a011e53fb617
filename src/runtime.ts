import type { Logger, Probot } from "probot";
import type { Db } from "./db/client.js";
import type { LlmProvider } from "./diagnosis/llm/provider.js";
import type { Housekeeping } from "./housekeeping/schedule.js";
import type { Metrics } from "./observability/metrics.js";
import type { QueueEngine } from "./queue/engine.js";

/** Operator settings from the environment (validated at start-up by src/env.ts). */
export interface Settings {
  /** Most bytes of one job log kept in memory (the tail). */
  logMaxBytes: number;
  workerConcurrency: number;
  perInstallationConcurrency: number;
  /** Optional: the App's slug, to recognise its own runs without asking GitHub. */
  appSlug?: string;
  /** LLM tokens per installation per UTC day. */
  dailyTokenBudget: number;
  retentionDays: number;
  /** How long a graceful shutdown waits for running jobs before releasing them. */
  shutdownDeadlineMs: number;
  /**
   * A running job's lease: its worker renews it while the job runs; a job whose lease ran out (its process died) is run
   * again by any worker on the database.
   */
  jobLeaseMs: number;
}

export const DEFAULT_SETTINGS: Settings = {
  logMaxBytes: 20 * 1024 * 1024,
  workerConcurrency: 2,
  perInstallationConcurrency: 1,
  dailyTokenBudget: 2_000_000,
  retentionDays: 30,
  shutdownDeadlineMs: 25_000,
  jobLeaseMs: 60_000,
};

/**
 * What runs the queued jobs, as handlers and jobs see it: the in-process Worker (src/queue/worker.ts), or the host of
 * the job thread (src/app/thread-host.ts) in the server.
 */
export interface JobRunner {
  /** A job was just enqueued: look at the queue soon (the runner also polls for retries coming due). */
  wake(): void;
  /** Graceful shutdown: claim nothing more, let running jobs finish until the deadline, release the rest. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Everything a handler or a job needs, built once per app instance (once per thread in the server). */
export interface Runtime {
  app: Probot;
  db: Db;
  queue: QueueEngine;
  worker: JobRunner;
  settings: Settings;
  /** Undefined when no LLM is configured: the deterministic diagnosis is posted. */
  llm?: LlmProvider;
  log: Logger;
  metrics: Metrics;
  housekeeping?: Housekeeping;
  /** The App's slug (`<slug>[bot]` is its login), looked up once. */
  appSlug(): Promise<string | undefined>;
}
