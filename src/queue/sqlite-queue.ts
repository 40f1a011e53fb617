import type { Db } from "../db/client.js";
import type { ClaimedJob, DeliveryRecord, EnqueueResult, JobQueue, JobState, NewJob } from "./types.js";

const MAX_ERROR_CHARS = 4000;

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: string }).code === "P2002";
}

function jobData(job: NewJob) {
  return {
    kind: job.kind,
    dedupeKey: job.dedupeKey,
    deliveryId: job.deliveryId ?? null,
    installationId: job.installationId,
    repository: job.repository,
    payload: JSON.stringify(job.payload),
    maxAttempts: job.maxAttempts ?? 5,
    runAt: job.runAt ?? new Date(),
  };
}

export class SqliteQueue implements JobQueue {
  constructor(private readonly db: Db) {}

  async accept(delivery: DeliveryRecord, job: NewJob | null, outcome: string): Promise<EnqueueResult> {
    try {
      return await this.db.$transaction(async (tx) => {
        await tx.delivery.create({
          data: {
            id: delivery.id,
            event: delivery.event,
            action: delivery.action ?? null,
            installationId: delivery.installationId ?? null,
            repository: delivery.repository ?? null,
            outcome,
          },
        });
        if (!job) return { created: true };
        const existing = await tx.job.findUnique({ where: { dedupeKey: job.dedupeKey }, select: { id: true } });
        if (existing) return { created: false, jobId: existing.id };
        const created = await tx.job.create({ data: { ...jobData(job), deliveryId: delivery.id }, select: { id: true } });
        return { created: true, jobId: created.id };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { created: false };
      throw error;
    }
  }

  async enqueue(job: NewJob): Promise<EnqueueResult> {
    try {
      const created = await this.db.job.create({ data: jobData(job), select: { id: true } });
      return { created: true, jobId: created.id };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.db.job.findUnique({ where: { dedupeKey: job.dedupeKey }, select: { id: true } });
      return { created: false, jobId: existing?.id };
    }
  }

  async claim(workerId: string, opts: { perInstallationLimit: number; now?: Date }): Promise<ClaimedJob | null> {
    const now = opts.now ?? new Date();
    // Compare-and-set on `state`: of two claimers racing for one row, only one update matches.
    for (let tries = 0; tries < 5; tries++) {
      const busy = await this.db.job.groupBy({
        by: ["installationId"],
        where: { state: "running" },
        _count: { _all: true },
      });
      const full = busy.filter((b) => b._count._all >= opts.perInstallationLimit).map((b) => b.installationId);
      const candidate = await this.db.job.findFirst({
        where: { state: "queued", runAt: { lte: now }, installationId: { notIn: full } },
        orderBy: [{ runAt: "asc" }, { id: "asc" }],
      });
      if (!candidate) return null;
      const taken = await this.db.job.updateMany({
        where: { id: candidate.id, state: "queued" },
        data: { state: "running", lockedBy: workerId, lockedAt: now, attempts: { increment: 1 } },
      });
      if (taken.count === 1) {
        return {
          id: candidate.id,
          kind: candidate.kind,
          payload: JSON.parse(candidate.payload) as unknown,
          attempts: candidate.attempts + 1,
          maxAttempts: candidate.maxAttempts,
          installationId: candidate.installationId,
          repository: candidate.repository,
          deliveryId: candidate.deliveryId,
        };
      }
    }
    return null;
  }

  async complete(id: number): Promise<void> {
    await this.db.job.update({
      where: { id },
      data: { state: "done", lockedBy: null, lockedAt: null, finishedAt: new Date() },
    });
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
      data: { state: "dead", lockedBy: null, lockedAt: null, lastError: error.slice(0, MAX_ERROR_CHARS), finishedAt: new Date() },
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

  async nextRunAt(): Promise<Date | null> {
    const next = await this.db.job.findFirst({
      where: { state: "queued" },
      orderBy: { runAt: "asc" },
      select: { runAt: true },
    });
    return next?.runAt ?? null;
  }
}
