import type { Db } from "../db/client.js";
import type { DirectEnqueue } from "./direct-enqueue.js";
import { INSERT_JOB_SQL, insertJobParams, sqliteTime } from "./insert-job.js";
import type { ClaimedJob, EnqueueResult, JobQueue, JobState, NewJob } from "./types.js";

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

export class SqliteQueue implements JobQueue {
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

  async complete(id: number): Promise<void> {
    const now = sqliteTime(new Date());
    await this.db.$executeRaw`
      UPDATE "Job" SET "state" = 'done', "lockedBy" = NULL, "lockedAt" = NULL, "finishedAt" = ${now}, "updatedAt" = ${now}
      WHERE "id" = ${id}`;
  }

  async retry(id: number, error: string, runAt: Date, opts: { countAttempt?: boolean } = {}): Promise<void> {
    await this.db.job.update({
      where: { id },
      data: {
        state: "queued",
        runAt,
        lockedBy: null,
        lockedAt: null,
        lastError: error.slice(0, MAX_ERROR_CHARS),
        ...(opts.countAttempt === false ? { attempts: { decrement: 1 } } : {}),
      },
    });
  }

  async kill(id: number, error: string): Promise<void> {
    await this.db.job.update({
      where: { id },
      data: {
        state: "dead",
        lockedBy: null,
        lockedAt: null,
        lastError: error.slice(0, MAX_ERROR_CHARS),
        finishedAt: new Date(),
      },
    });
  }

  async release(workerId: string): Promise<number> {
    const { count } = await this.db.job.updateMany({
      where: { state: "running", lockedBy: workerId },
      data: { state: "queued", lockedBy: null, lockedAt: null, attempts: { decrement: 1 } },
    });
    return count;
  }

  async recoverStale(lockedBefore: Date): Promise<number> {
    const { count } = await this.db.job.updateMany({
      where: { state: "running", lockedAt: { lt: lockedBefore } },
      data: { state: "queued", lockedBy: null, lockedAt: null },
    });
    return count;
  }

  async counts(): Promise<Record<JobState, number>> {
    const rows = await this.db.job.groupBy({ by: ["state"], _count: { _all: true } });
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, dead: 0 };
    for (const row of rows) counts[row.state as JobState] = row._count._all;
    return counts;
  }

  close(): void {
    this.direct?.close();
  }

  async nextRunAt(): Promise<Date | null> {
    const rows = await this.db.$queryRaw<{ runAt: string }[]>`
      SELECT "runAt" FROM "Job" WHERE "state" = 'queued' ORDER BY "runAt" LIMIT 1`;
    return rows[0] ? new Date(rows[0].runAt) : null;
  }
}
