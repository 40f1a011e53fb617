// The work queue's interface. The SQLite engine (sqlite-queue.ts) serves one instance; a Postgres engine (pg-boss)
// can implement the same interface for several instances without the handlers or the worker changing.

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

export interface ClaimedJob<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  /** Including this one. */
  attempts: number;
  maxAttempts: number;
  installationId: number;
  repository: string;
  deliveryId: string | null;
}

export interface EnqueueResult {
  /** False when the job was already known. */
  created: boolean;
  jobId?: number;
}

export interface JobQueue {
  /** One statement: a job whose dedupe key is known (a redelivered or duplicated event) changes nothing. */
  enqueue(job: NewJob): Promise<EnqueueResult>;
  /** Atomically takes the next due job, skipping installations already running `perInstallationLimit` jobs. */
  claim(workerId: string, opts: { perInstallationLimit: number; now?: Date }): Promise<ClaimedJob | null>;
  complete(id: number): Promise<void>;
  /** Back to the queue at `runAt`; `countAttempt: false` for waits that are not the job's fault (rate limits). */
  retry(id: number, error: string, runAt: Date, opts?: { countAttempt?: boolean }): Promise<void>;
  kill(id: number, error: string): Promise<void>;
  /** Running jobs of a worker go back to the queue untouched (graceful shutdown). */
  release(workerId: string): Promise<number>;
  /** Running jobs locked before `lockedBefore` (a dead process) go back to the queue. */
  recoverStale(lockedBefore: Date): Promise<number>;
  counts(): Promise<Record<JobState, number>>;
  /** When the next queued job is due, for the worker's sleep. */
  nextRunAt(): Promise<Date | null>;
  /** Closes what the queue opened itself (not the Prisma client it was given). */
  close(): void;
}
