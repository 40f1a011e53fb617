import cron from "node-cron";
import type { Db } from "../db/client.js";
import type { DirectEnqueue } from "./direct-enqueue.js";
import { DEFAULT_MAX_RUN_MS, DEFAULT_MAX_WAIT_MS, waitingDetail } from "./health.js";
import { INSERT_JOB_SQL, insertJobParams, sqliteTime } from "./insert-job.js";
import type {
  ClaimedJob,
  EnqueueResult,
  HealthLimits,
  HeldJob,
  JobId,
  JobState,
  JobStore,
  NewJob,
  QueueHealth,
  ScheduledTask,
} from "./types.js";

const STALE_ON_LAST_ATTEMPT =
  "its worker stopped renewing its lease on every attempt (the process died while running it)";

interface RawJob {
  id: number | bigint;
  kind: string;
  payload: string;
  attempts: number | bigint;
  maxAttempts: number | bigint;
  installationId: number | bigint;
  repository: string;
  deliveryId: string | null;
}

const MAX_ERROR_CHARS = 4000;

/** The job as this claim left it: running, by this worker, on this attempt (a claim counts one). */
const held = (workerId: string, job: HeldJob) =>
  ({ id: Number(job.id), state: "running", lockedBy: workerId, attempts: job.attempts }) as const;

/**
 * The SQLite engine's store: the Job table. A running job's `lockedAt` is its lease, renewed by its worker while it
 * runs (`updatedAt` keeps the time it was claimed); a job whose lease ran out is taken back by any worker on the file,
 * so two processes on one file (an overlapping deploy) never run one job at once, and a dead one's jobs are not lost.
 */
export class SqliteQueue implements JobStore {
  /** `direct`: the server's enqueue, on its own connection without Prisma (direct-enqueue.ts). */
  constructor(
    private readonly db: Db,
    private readonly direct?: DirectEnqueue,
  ) {}

  // The two statements on every webhook and every job use raw SQL: one round trip each, no query planning in the
  // client (Prisma's compiled queries cost milliseconds of CPU, which the webhook acknowledgement cannot afford).

  async enqueue(job: NewJob): Promise<EnqueueResult> {
    if (this.direct) return this.direct.enqueue(job);
    const rows = await this.db.$queryRawUnsafe<{ id: number | bigint }[]>(
      INSERT_JOB_SQL,
      ...insertJobParams(job, new Date()),
    );
    if (rows[0]) return { created: true, jobId: Number(rows[0].id) };
    const existing = await this.db.job.findUnique({ where: { dedupeKey: job.dedupeKey }, select: { id: true } });
    return { created: false, jobId: existing?.id };
  }

  async claim(workerId: string, opts: { perInstallationLimit: number; now?: Date }): Promise<ClaimedJob | null> {
    const now = sqliteTime(opts.now ?? new Date());
    const limit = opts.perInstallationLimit;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Found by a read: when one installation has filled its slots and thousands of its jobs wait, SQLite walks all of
      // them, and a read holds no lock that the webhooks' enqueue (another connection) would have to wait for.
      const candidates = await this.db.$queryRaw<{ id: number | bigint; installationId: number | bigint }[]>`
        SELECT "id", "installationId" FROM "Job"
        WHERE "state" = 'queued' AND "runAt" <= ${now}
          AND "installationId" NOT IN (
            SELECT "installationId" FROM "Job" WHERE "state" = 'running'
            GROUP BY "installationId" HAVING COUNT(*) >= ${limit})
        ORDER BY "runAt", "id" LIMIT 1`;
      const candidate = candidates[0];
      if (!candidate) return null;
      // Taken by one statement that checks again, so two claimers (or two instances on one file) can never take the same
      // row, nor fill an installation past its limit.
      const rows = await this.db.$queryRaw<RawJob[]>`
        UPDATE "Job" SET "state" = 'running', "lockedBy" = ${workerId}, "lockedAt" = ${now}, "updatedAt" = ${now},
                         "attempts" = "attempts" + 1
        WHERE "id" = ${candidate.id} AND "state" = 'queued'
          AND (SELECT COUNT(*) FROM "Job" WHERE "installationId" = ${candidate.installationId} AND "state" = 'running') < ${limit}
        RETURNING "id", "kind", "payload", "attempts", "maxAttempts", "installationId", "repository", "deliveryId"`;
      const row = rows[0];
      if (!row) continue; // another claimer was first: look again
      return {
        id: Number(row.id),
        kind: row.kind,
        payload: JSON.parse(row.payload) as unknown,
        attempts: Number(row.attempts),
        maxAttempts: Number(row.maxAttempts),
        installationId: Number(row.installationId),
        repository: row.repository,
        deliveryId: row.deliveryId,
      };
    }
    return null;
  }

  async complete(workerId: string, job: HeldJob): Promise<boolean> {
    const now = sqliteTime(new Date());
    const count = await this.db.$executeRaw`
      UPDATE "Job" SET "state" = 'done', "lockedBy" = NULL, "lockedAt" = NULL, "finishedAt" = ${now}, "updatedAt" = ${now}
      WHERE "id" = ${Number(job.id)} AND "state" = 'running' AND "lockedBy" = ${workerId} AND "attempts" = ${job.attempts}`;
    return count > 0;
  }

  async retry(
    workerId: string,
    job: HeldJob,
    error: string,
    runAt: Date,
    opts: { countAttempt?: boolean } = {},
  ): Promise<boolean> {
    const { count } = await this.db.job.updateMany({
      where: held(workerId, job),
      data: {
        state: "queued",
        runAt,
        lockedBy: null,
        lockedAt: null,
        lastError: error.slice(0, MAX_ERROR_CHARS),
        ...(opts.countAttempt === false ? { attempts: { decrement: 1 } } : {}),
      },
    });
    return count > 0;
  }

  async kill(workerId: string, job: HeldJob, error: string): Promise<boolean> {
    const { count } = await this.db.job.updateMany({
      where: held(workerId, job),
      data: {
        state: "dead",
        lockedBy: null,
        lockedAt: null,
        lastError: error.slice(0, MAX_ERROR_CHARS),
        finishedAt: new Date(),
      },
    });
    return count > 0;
  }

  async release(workerId: string): Promise<number> {
    const { count } = await this.db.job.updateMany({
      where: { state: "running", lockedBy: workerId },
      data: { state: "queued", lockedBy: null, lockedAt: null, attempts: { decrement: 1 } },
    });
    return count;
  }

  async renew(workerId: string, ids: JobId[]): Promise<void> {
    if (ids.length === 0) return;
    // Raw: Prisma's update would also move `updatedAt`, the claim time the health check reads.
    const at = sqliteTime(new Date());
    await this.db.$executeRawUnsafe(
      `UPDATE "Job" SET "lockedAt" = ? WHERE "state" = 'running' AND "lockedBy" = ? AND "id" IN (${ids.map(() => "?").join(", ")})`,
      at,
      workerId,
      ...ids.map(Number),
    );
  }

  async recoverStale(renewedBefore: Date): Promise<number> {
    // A job whose holder died on its last attempt (one that kills the process, e.g. out of memory) is not run again:
    // retried on every restart, it would crash the process for good. pg-boss's expiry counts such attempts the same way.
    const before = sqliteTime(renewedBefore);
    const now = sqliteTime(new Date());
    const dead = await this.db.$executeRaw`
      UPDATE "Job" SET "state" = 'dead', "lockedBy" = NULL, "lockedAt" = NULL, "finishedAt" = ${now}, "updatedAt" = ${now},
                       "lastError" = ${STALE_ON_LAST_ATTEMPT}
      WHERE "state" = 'running' AND "lockedAt" < ${before} AND "attempts" >= "maxAttempts"`;
    const { count } = await this.db.job.updateMany({
      where: { state: "running", lockedAt: { lt: renewedBefore } },
      data: { state: "queued", lockedBy: null, lockedAt: null },
    });
    return dead + count;
  }

  async health(limits: HealthLimits = {}): Promise<QueueHealth> {
    const t = (limits.now?.() ?? new Date()).getTime();
    const maxWaitMs = limits.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const since = new Date(t - maxWaitMs);
    const waiting = await this.db.job.findFirst({
      where: { state: "queued", runAt: { lt: since } },
      orderBy: { runAt: "asc" },
      select: { runAt: true },
    });
    // A long backlog is not a wedged queue while it moves: only when no job has started or finished since.
    if (waiting && !(await this.movedSince(since)))
      return { wedged: true, detail: waitingDetail(t - waiting.runAt.getTime(), maxWaitMs) };
    // `updatedAt` of a running job is when it was claimed (lease renewals leave it alone).
    const stuck = await this.db.job.findFirst({
      where: { state: "running", updatedAt: { lt: new Date(t - (limits.maxRunMs ?? DEFAULT_MAX_RUN_MS)) } },
      orderBy: { updatedAt: "asc" },
      select: { updatedAt: true },
    });
    if (stuck)
      return {
        wedged: true,
        detail: `a job has been running for ${Math.round((t - stuck.updatedAt.getTime()) / 60_000)} min`,
      };
    return { wedged: false };
  }

  /**
   * A job was claimed or finished at `since` or later. `updatedAt` is when a running job was claimed (lease renewals
   * leave it alone), and when a finished one finished; a queued job that has run before (an attempt, a rate-limit
   * wait, a lease taken back) was put back then. A job only enqueued has neither an attempt nor an error.
   */
  private async movedSince(since: Date): Promise<boolean> {
    const at = sqliteTime(since);
    const rows = await this.db.$queryRaw<unknown[]>`
      SELECT 1 FROM "Job" WHERE "state" IN ('running', 'done', 'dead') AND "updatedAt" >= ${at}
      UNION ALL
      SELECT 1 FROM "Job" WHERE "state" = 'queued' AND "updatedAt" >= ${at} AND ("attempts" > 0 OR "lastError" IS NOT NULL)
      LIMIT 1`;
    return rows.length > 0;
  }

  async purge(before: Date): Promise<number> {
    const { count } = await this.db.job.deleteMany({
      where: { state: { in: ["done", "dead"] }, updatedAt: { lt: before } },
    });
    return count;
  }

  /**
   * node-cron in this process: one process per SQLite file is the rule (a second one during a deploy overlaps for
   * minutes, and every task is idempotent). `noOverlap`: a slow run is never doubled by the next tick.
   */
  async schedule(tasks: ScheduledTask[], log: { error(obj: object, msg: string): void }) {
    const scheduled = tasks.map((task) =>
      cron.schedule(
        task.cron,
        () => task.run().catch((error: unknown) => log.error({ err: error, task: task.name }, "scheduled task failed")),
        { name: `ci-medic:${task.name}`, noOverlap: true, timezone: "UTC" },
      ),
    );
    return async () => {
      await Promise.all(scheduled.map((t) => t.stop()));
    };
  }

  async recordedDeliveries(deliveryIds: string[]): Promise<Set<string>> {
    const rows = await this.db.job.findMany({
      where: { deliveryId: { in: deliveryIds } },
      select: { deliveryId: true },
    });
    return new Set(rows.flatMap((r) => (r.deliveryId ? [r.deliveryId] : [])));
  }

  async counts(): Promise<Record<JobState, number>> {
    const rows = await this.db.job.groupBy({ by: ["state"], _count: { _all: true } });
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, dead: 0 };
    for (const row of rows) counts[row.state as JobState] = row._count._all;
    return counts;
  }

  async close(): Promise<void> {
    this.direct?.close();
  }

  async nextRunAt(): Promise<Date | null> {
    const rows = await this.db.$queryRaw<{ runAt: string }[]>`
      SELECT "runAt" FROM "Job" WHERE "state" = 'queued' ORDER BY "runAt" LIMIT 1`;
    return rows[0] ? new Date(rows[0].runAt) : null;
  }
}
