import { randomUUID } from "node:crypto";
import { errorText } from "../logs/redact.js";
import { backoffDelayMs } from "./backoff.js";
import { PermanentJobError, retryAtOf } from "./errors.js";
import type { ClaimedJob, JobId, JobStore } from "./types.js";

export type JobHandler = (job: ClaimedJob, signal: AbortSignal) => Promise<void>;

/**
 * How soon to look at the queue again when every due job waits for its installation's running jobs (one installation
 * flooding the queue): each look walks the queue, so not after every enqueue. A job finishing looks at once.
 */
const BLOCKED_LOOK_MS = 250;

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** "lost": the job's lease ran out before it finished, and its outcome was not recorded (see JobStore.complete). */
export type JobOutcome = "done" | "retry" | "wait" | "dead" | "lost";

export interface WorkerObserver {
  /** `retryAt` is set for "wait" (rate limited) and "retry". */
  onJobFinished?(job: ClaimedJob, outcome: JobOutcome, durationMs: number, retryAt?: Date): void;
}

export interface WorkerOptions {
  queue: JobStore;
  handlers: Record<string, JobHandler>;
  log: WorkerLog;
  concurrency?: number;
  perInstallationLimit?: number;
  /** Longest sleep between looks at the queue when nothing wakes the worker. */
  pollMs?: number;
  backoff?: (attempt: number) => number;
  observer?: WorkerObserver;
  /** When it answers true, no new job is started for a moment (see load-guard.ts). */
  busy?: () => boolean;
  /** Running jobs' leases are renewed every third of this; a job not renewed for this long is run again. */
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 60_000;

/**
 * Runs queued jobs in this process. Webhook handlers call `wake()` after enqueueing, so a job starts at once; the poll
 * is only for retries coming due and for jobs another instance or a previous process left behind. While a job runs its
 * lease is renewed; the leases of jobs whose worker stopped renewing them (a process that died) are taken back.
 */
export class Worker {
  readonly id = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<JobId, { promise: Promise<void>; abort: AbortController }>();
  private timer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private finished = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  /** The last look found due jobs of full installations only, while jobs were running. */
  private blocked = false;

  constructor(private readonly opts: WorkerOptions) {}

  private get concurrency() {
    return this.opts.concurrency ?? 2;
  }

  private get leaseMs() {
    return this.opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.opts.queue.onEnqueuedElsewhere?.(() => this.wake());
    await this.keepLeases();
    this.leaseTimer = setInterval(() => void this.keepLeases(), Math.max(500, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
    this.wake();
  }

  /** Renews this worker's leases, and takes back the jobs of workers that stopped renewing theirs. */
  private async keepLeases(): Promise<void> {
    try {
      await this.opts.queue.renew(this.id, [...this.running.keys()]);
      const recovered = await this.opts.queue.recoverStale(new Date(Date.now() - this.leaseMs));
      if (recovered > 0) {
        this.opts.log.warn({ recovered }, "re-queued jobs whose worker stopped renewing their lease");
        this.wake();
      }
    } catch (error) {
      this.opts.log.error({ err: error }, "could not renew job leases; will try again");
    }
  }

  /** Webhooks call this after every enqueue: a burst of them becomes one look at the queue. */
  wake(): void {
    // With every slot taken a look could only query the queue again; a job that finishes looks at once.
    if (this.running.size >= this.concurrency) return;
    this.lookWithin(this.blocked ? this.blockedLookMs : 10);
  }

  /** How soon to look again while the due jobs wait for a busy installation. */
  private get blockedLookMs(): number {
    return Math.min(BLOCKED_LOOK_MS, this.opts.pollMs ?? 5_000);
  }

  /** A look at the queue within `ms`, unless one is already due sooner. */
  private lookWithin(ms: number): void {
    if (!this.started || this.stopping) return;
    const at = Date.now() + ms;
    if (this.wakeTimer && this.wakeAt <= at) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.look();
    }, ms);
    this.wakeTimer.unref();
  }

  private look(): void {
    if (!this.started || this.stopping) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.look();
      }
    });
  }

  /** Claims and starts jobs until the concurrency is used up or nothing is due, then sleeps until the next due job. */
  private async pump(): Promise<void> {
    try {
      while (!this.stopping && this.running.size < this.concurrency) {
        if (this.running.size > 0 && this.opts.busy?.()) {
          this.sleep(50);
          return;
        }
        const job = await this.opts.queue.claim(this.id, { perInstallationLimit: this.opts.perInstallationLimit ?? 1 });
        this.blocked = !job && this.running.size > 0;
        if (!job) break;
        this.launch(job);
      }
      await this.scheduleNextLook();
    } catch (error) {
      this.opts.log.error({ err: error }, "worker could not claim jobs; will look again");
      this.sleep(this.opts.pollMs ?? 5_000);
    }
  }

  private async scheduleNextLook(): Promise<void> {
    const poll = this.opts.pollMs ?? 5_000;
    const next = await this.opts.queue.nextRunAt();
    let wait = next ? Math.max(50, Math.min(poll, next.getTime() - Date.now())) : poll;
    // The next due job may be one that waits for its installation, or for a free slot (a job finishing looks at once):
    // not a reason to look again every 50 ms.
    if (this.blocked || this.running.size >= this.concurrency) wait = Math.max(wait, this.blockedLookMs);
    this.sleep(wait);
  }

  private sleep(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopping) return;
    this.timer = setTimeout(() => this.look(), ms);
    this.timer.unref();
  }

  private launch(job: ClaimedJob): void {
    const abort = new AbortController();
    const promise = this.execute(job, abort.signal).finally(() => {
      this.finished++;
      this.running.delete(job.id);
      this.blocked = false; // its installation has a free slot now
      this.lookWithin(10);
    });
    this.running.set(job.id, { promise, abort });
  }

  private async execute(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const { queue, log } = this.opts;
    const started = Date.now();
    const context = {
      jobId: job.id,
      kind: job.kind,
      attempt: job.attempts,
      deliveryId: job.deliveryId,
      repository: job.repository,
    };
    const handler = this.opts.handlers[job.kind];
    const finish = (outcome: JobOutcome, retryAt?: Date) =>
      this.opts.observer?.onJobFinished?.(job, outcome, Date.now() - started, retryAt);
    /** False: this worker no longer held the job, and nothing was recorded. */
    const recorded = (held: boolean, outcome: JobOutcome, retryAt?: Date) => {
      if (held) return finish(outcome, retryAt);
      log.warn(
        { ...context, outcome },
        "outcome not recorded: the job's lease ran out before it finished (it runs again, or already ran, elsewhere)",
      );
      finish("lost");
    };
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind "${job.kind}"`);
      await handler(job, signal);
      recorded(await queue.complete(this.id, job), "done");
    } catch (error) {
      try {
        if (signal.aborted && this.stopping) {
          // Shutdown interrupted it: `release` puts it back without counting the attempt.
          return;
        }
        // Stored in Job.lastError: error texts from GitHub or the model may quote a token.
        const message = errorText(error);
        const retryAt = retryAtOf(error);
        if (retryAt) {
          log.warn({ ...context, retryAt }, "job must wait (rate limited); re-queued");
          recorded(await queue.retry(this.id, job, message, retryAt, { countAttempt: false }), "wait", retryAt);
        } else if (error instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
          log.error({ err: error, ...context }, "job failed for good; marked dead");
          recorded(await queue.kill(this.id, job, message), "dead");
        } else {
          const delay = (this.opts.backoff ?? backoffDelayMs)(job.attempts);
          log.warn({ err: error, ...context, retryInMs: delay }, "job failed; will retry");
          const at = new Date(Date.now() + delay);
          recorded(await queue.retry(this.id, job, message, at), "retry", at);
        }
      } catch (bookkeeping) {
        log.error({ err: bookkeeping, ...context }, "could not record the job's outcome");
      }
    }
  }

  /** Runs every job that is due now, and those they enqueue, until none is left (tests, one-shot runs). */
  async runUntilIdle(): Promise<void> {
    // Not `started`: finished jobs must not wake the background pump, which would race this loop for claims.
    for (;;) {
      const finishedBefore = this.finished;
      const job = await this.opts.queue.claim(this.id, { perInstallationLimit: this.opts.perInstallationLimit ?? 1 });
      if (!job) {
        // A job that finished while we were claiming may have freed its installation: look once more.
        if (this.running.size === 0 && this.finished === finishedBefore) return;
        if (this.running.size === 0) continue;
        await Promise.race([...this.running.values()].map((r) => r.promise));
        continue;
      }
      this.launch(job);
      if (this.running.size >= this.concurrency) await Promise.race([...this.running.values()].map((r) => r.promise));
    }
  }

  /**
   * Stops looking at the queue and renewing leases, releasing nothing: what a killed process leaves behind (tests of
   * lease recovery). Running handlers are aborted.
   */
  abandon(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    clearTimeout(this.wakeTimer);
    clearInterval(this.leaseTimer);
    for (const r of this.running.values()) r.abort.abort(new Error("abandoned"));
  }

  /** Stops claiming, gives running jobs until the deadline, then aborts and releases what is left. */
  async stop(deadlineMs = 25_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    clearTimeout(this.wakeTimer);
    await this.pumping;
    const all = Promise.allSettled([...this.running.values()].map((r) => r.promise));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const r of this.running.values()) r.abort.abort(new Error("shutting down"));
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    }
    clearInterval(this.leaseTimer); // renewed until now: running jobs keep their leases while they finish
    const released = await this.opts.queue.release(this.id);
    if (released > 0) this.opts.log.warn({ released }, "released unfinished jobs back to the queue");
  }

  get activeCount(): number {
    return this.running.size;
  }
}
