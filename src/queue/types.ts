// A job store: what the Worker (worker.ts) needs from one engine's storage. The app never sees it: it uses the queue
// seam (engine.ts), which runs a Worker over the store of its engine: SQLite (sqlite-queue.ts) or pg-boss
// (pg-boss-store.ts).

export type JobState = "queued" | "running" | "done" | "dead";

export interface NewJob {
  kind: string;
  /** Same key, same job: enqueueing twice is a no-op (redelivered or duplicated events). */
  dedupeKey: string;
  installationId: number;
  repository: string;
  payload: unknown;
  deliveryId?: string;
  maxAttempts?: number;
  runAt?: Date;
}

/** SQLite rows are numbered; pg-boss jobs have UUIDs. */
export type JobId = number | string;

export interface ClaimedJob<P = unknown> {
  id: JobId;
  kind: string;
  payload: P;
  /** Including this one. */
  attempts: number;
  maxAttempts: number;
  installationId: number;
  repository: string;
  deliveryId: string | null;
}

/** Which claim of a job: a job taken back and claimed again is a new attempt, even by the same worker. */
export type HeldJob = Pick<ClaimedJob, "id" | "attempts">;

export interface EnqueueResult {
  /** False when the job was already known. */
  created: boolean;
  jobId?: JobId;
}

/** Wedged: due jobs nobody takes, or a job that has run for far too long. `detail` says which, for the log. */
export interface QueueHealth {
  wedged: boolean;
  detail?: string;
}

export interface HealthLimits {
  maxWaitMs?: number;
  maxRunMs?: number;
  now?: () => Date;
}

/** A housekeeping task on a cron schedule (UTC), run once per tick across every process on the database. */
export interface ScheduledTask {
  name: string;
  cron: string;
  run(): Promise<void>;
}

export interface JobStore {
  /** One statement: a job whose dedupe key is known (a redelivered or duplicated event) changes nothing. */
  enqueue(job: NewJob): Promise<EnqueueResult>;
  /** Atomically takes the next due job, skipping installations already running `perInstallationLimit` jobs. */
  claim(workerId: string, opts: { perInstallationLimit: number; now?: Date }): Promise<ClaimedJob | null>;
  // The outcome of a claim is recorded only while that claim still holds the job: a worker whose lease ran out (a
  // paused process, renewals that failed) must not finish, retry or kill the job another worker has taken since, nor
  // one waiting to run again. False: nothing was changed.
  complete(workerId: string, job: HeldJob): Promise<boolean>;
  /**
   * Back to the queue: at `runAt`, or after the engine's own retry delay; `countAttempt: false` for waits that are not
   * the job's fault (rate limits), always at `runAt`.
   */
  retry(
    workerId: string,
    job: HeldJob,
    error: string,
    runAt: Date,
    opts?: { countAttempt?: boolean },
  ): Promise<boolean>;
  kill(workerId: string, job: HeldJob, error: string): Promise<boolean>;
  /** Running jobs of a worker go back to the queue untouched (graceful shutdown). */
  release(workerId: string): Promise<number>;
  /** The worker still runs these jobs: their leases start again. */
  renew(workerId: string, ids: JobId[]): Promise<void>;
  /** Running jobs whose lease was last renewed before `renewedBefore` (a dead process) go back to the queue. */
  recoverStale(renewedBefore: Date): Promise<number>;
  counts(): Promise<Record<JobState, number>>;
  /** Which of these delivery ids a job records (kept until `purge`). */
  recordedDeliveries(deliveryIds: string[]): Promise<Set<string>>;
  /** When the next queued job is due, for the worker's sleep (null: none, or the engine cannot tell). */
  nextRunAt(): Promise<Date | null>;
  health(limits?: HealthLimits): Promise<QueueHealth>;
  /** Deletes finished jobs (with their webhook payloads) last changed before `before`. */
  purge(before: Date): Promise<number>;
  /** Starts the tasks' schedules; the returned function stops them. */
  schedule(tasks: ScheduledTask[], log: { error(obj: object, msg: string): void }): Promise<() => Promise<void>>;
  /** Another process enqueued: `listener` is called (engines that can tell; the worker polls anyway). */
  onEnqueuedElsewhere?(listener: () => void): void;
  /** Closes what the store opened itself (not the Prisma client it was given). */
  close(): Promise<void>;
}
