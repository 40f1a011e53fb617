import { type Db, kindOf } from "../db/client.js";
import { JOB_KIND } from "../job-kinds.js";
import type { QueueEngine } from "../queue/engine.js";

// Housekeeping tasks. Each one is a single idempotent statement (or two), so running it twice, or two instances
// running it at once, does no harm; each returns what it did for the log.

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Excerpts, webhook payloads (in finished jobs) and the repository files a proposed fix holds are kept
 * `retentionDays`; diagnoses (no log text) stay for dedupe. A purged proposal no longer matches the hash that was
 * shown, so it can no longer be applied.
 */
export async function purgeExpiredData(db: Db, queue: QueueEngine, retentionDays: number, now = new Date()) {
  const before = new Date(now.getTime() - retentionDays * DAY_MS);
  const excerpts = await db.failedJob.updateMany({
    where: { createdAt: { lt: before }, OR: [{ excerpt: { not: null } }, { annotations: { not: null } }] },
    data: { excerpt: null, annotations: null },
  });
  const proposals = await db.fixProposal.updateMany({
    where: { createdAt: { lt: before }, changes: { not: "[]" } },
    data: { changes: "[]" },
  });
  const jobsDeleted = await queue.purge(before);
  return { excerptsPurged: excerpts.count, proposalsPurged: proposals.count, jobsDeleted };
}

/** An approval that never reached an outcome (the process died mid-way, the model hung) is closed, not left pending. */
export async function expireApprovals(db: Db, maxAgeHours = 24, now = new Date()) {
  const before = new Date(now.getTime() - maxAgeHours * 60 * 60 * 1000);
  const { count } = await db.approval.updateMany({
    where: { state: "pending", createdAt: { lt: before } },
    data: { state: "expired", detail: "no outcome within the time limit; ask again with /approve" },
  });
  return { approvalsExpired: count };
}

/** Gives the space of purged rows back to the file system and folds the WAL into the database. */
export async function vacuum(db: Db) {
  if (kindOf(db) !== "sqlite") return { vacuumed: false }; // PostgreSQL's autovacuum does this
  await db.$executeRawUnsafe("VACUUM");
  await db.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
  return { vacuumed: true };
}

/**
 * Fixes whose latest commit saw no run by its deadline: a job each (one per commit, by its dedupe key) says so in the
 * threads. The job checks again, so a run arriving meanwhile wins.
 */
export async function queueFixTimeouts(db: Db, queue: Pick<QueueEngine, "enqueue">, now = new Date()) {
  const overdue = await db.fix.findMany({
    where: { state: "verifying", verifyDeadline: { lt: now }, tipSha: { not: null } },
    select: { id: true, installationId: true, repository: true, tipSha: true },
    take: 100,
  });
  let queued = 0;
  for (const fix of overdue) {
    const result = await queue.enqueue({
      kind: JOB_KIND.fixTimeout,
      dedupeKey: `fix-timeout:${fix.id}:${fix.tipSha}`,
      installationId: fix.installationId,
      repository: fix.repository,
      payload: { fixId: fix.id, tipSha: fix.tipSha },
    });
    if (result.created) queued++;
  }
  return { fixTimeoutsQueued: queued };
}
