import { type Db, databaseKind } from "../db/client.js";
import { DirectEnqueue } from "./direct-enqueue.js";
import { PgBossStore } from "./pg-boss-store.js";
import { SqliteQueue } from "./sqlite-queue.js";
import type { EnqueueResult, HealthLimits, JobState, JobStore, NewJob, QueueHealth, ScheduledTask } from "./types.js";
import { type JobHandler, Worker, type WorkerLog, type WorkerObserver } from "./worker.js";

// The queue seam: what the app does with jobs, the same for both engines. Enqueue with a dedupe key; run handlers with
// an overall and a per-installation limit (the Worker: start, wake, stop with a deadline); health; purge; scheduled
// tasks. SQLite (one file, `file:` URL) keeps jobs in the Job table; PostgreSQL runs them on pg-boss. Nothing outside
// src/queue reads or writes a job table.

export interface RunOptions {
  handlers: Record<string, JobHandler>;
  log: WorkerLog;
  concurrency: number;
  perInstallationLimit: number;
  observer?: WorkerObserver | undefined;
  busy?: (() => boolean) | undefined;
  pollMs?: number | undefined;
  backoff?: ((attempt: number) => number) | undefined;
}

export class QueueEngine {
  constructor(
    private readonly store: JobStore,
    private readonly leaseMs: number,
  ) {}

  /** A job whose dedupe key is known (a redelivered or duplicated event) changes nothing. */
  enqueue(job: NewJob): Promise<EnqueueResult> {
    return this.store.enqueue(job);
  }

  /** A worker for these handlers and limits: `start()`, `wake()`, `stop(deadlineMs)` (and `runUntilIdle()` in tests). */
  worker(run: RunOptions): Worker {
    return new Worker({ ...run, queue: this.store, leaseMs: this.leaseMs });
  }

  counts(): Promise<Record<JobState, number>> {
    return this.store.counts();
  }

  /** Which of these webhook deliveries (X-GitHub-Delivery) are recorded as a job (delivery recovery). */
  recordedDeliveries(deliveryIds: string[]): Promise<Set<string>> {
    return this.store.recordedDeliveries(deliveryIds);
  }

  health(limits?: HealthLimits): Promise<QueueHealth> {
    return this.store.health(limits);
  }

  /** Finished jobs (each holds its webhook payload) last changed before `before`; returns how many were deleted. */
  purge(before: Date): Promise<number> {
    return this.store.purge(before);
  }

  /** Starts the tasks' cron schedules (UTC); the returned function stops them. */
  schedule(tasks: ScheduledTask[], log: { error(obj: object, msg: string): void }): Promise<() => Promise<void>> {
    return this.store.schedule(tasks, log);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export interface OpenQueueOptions {
  databaseUrl: string;
  /** The Prisma client on that database (SQLite's store uses it). */
  db: Db;
  /** False on the webhook thread, which only enqueues: PostgreSQL then opens no lock/LISTEN session nor cron. */
  runsJobs: boolean;
  leaseMs: number;
  retentionDays: number;
  /** PostgreSQL: pg-boss's first retry delay (SQLite: the worker's backoff). */
  retryDelaySeconds?: number | undefined;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** SQLite: enqueue on a better-sqlite3 connection of its own, off Prisma (the webhook thread). */
  directEnqueue?: { autoCheckpoint: boolean } | undefined;
}

export async function openQueue(opts: OpenQueueOptions): Promise<QueueEngine> {
  if (databaseKind(opts.databaseUrl) === "postgres") {
    const store = await PgBossStore.open({
      connectionString: opts.databaseUrl,
      runsJobs: opts.runsJobs,
      leaseMs: opts.leaseMs,
      retentionDays: opts.retentionDays,
      retryDelaySeconds: opts.retryDelaySeconds,
      log: opts.log,
    });
    return new QueueEngine(store, opts.leaseMs);
  }
  const direct = opts.directEnqueue ? new DirectEnqueue(opts.databaseUrl, opts.directEnqueue) : undefined;
  return new QueueEngine(new SqliteQueue(opts.db, direct), opts.leaseMs);
}
