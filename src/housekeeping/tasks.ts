import { type Db, kindOf } from "../db/client.js";
import { type FixStalledPayload, JOB_KIND } from "../job-kinds.js";
import { staleBefore } from "../jobs/claims.js";
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

/**
 * Claims of the fix loop whose job is gone for good (older than claims.ts's bound): what follows an attempt, claimed
 * by a failing run's job (Fix.nextBy), and the push of a shown change (FixProposal.claimedBy). Nobody may ever ask
 * again, so a job each (one per claim, by its dedupe key) says so in the thread and gives the claim back. The job
 * checks again, so a claim that moved on meanwhile is left alone. A `nextBy` whose follow-up was shown is not stuck
 * (`/approve` decides from there) and is not returned. Oldest first. (A first proposal's claim needs no task: it only
 * matters to the next `/approve`, which takes a stale one over.)
 */
export async function queueStalledClaims(
  db: Db,
  queue: Pick<QueueEngine, "enqueue">,
  leaseMs: number,
  now = new Date(),
) {
  const before = staleBefore(leaseMs, now);
  const next = await stalledNextClaims(db, before, 100);
  const pushes = await db.fixProposal.findMany({
    where: { state: "applying", claimedBy: { not: null }, updatedAt: { lt: before } },
    select: { id: true, fixId: true, claimedBy: true, fix: { select: { installationId: true, repository: true } } },
    orderBy: [{ updatedAt: "asc" }, { id: "asc" }],
    take: 100,
  });
  const stalled = [
    ...next.map((f) => ({
      dedupeKey: `fix-stalled:next:${f.id}:${f.nextBy}`,
      installationId: f.installationId,
      repository: f.repository,
      payload: { fixId: f.id, claim: { kind: "next", key: f.nextBy! } } satisfies FixStalledPayload,
    })),
    ...pushes.map((p) => ({
      dedupeKey: `fix-stalled:push:${p.id}:${p.claimedBy}`,
      installationId: p.fix.installationId,
      repository: p.fix.repository,
      payload: {
        fixId: p.fixId,
        claim: { kind: "push", key: p.claimedBy!, proposalId: p.id },
      } satisfies FixStalledPayload,
    })),
  ];
  let queued = 0;
  for (const job of stalled) {
    const result = await queue.enqueue({ kind: JOB_KIND.fixStalled, ...job });
    if (result.created) queued++;
  }
  return { stalledClaimsQueued: queued };
}

/**
 * Stale `nextBy` claims, oldest first, up to `limit`. A claim whose follow-up was shown is left out (claims.ts,
 * followUpShown): `/approve` decides from there and fix-stalled.ts skips it, so returned by every scan it would fill the
 * page forever and hide the claims that are stuck. Prisma cannot compare a fix's `nextBy` with its proposals'
 * `requestKey` in one query, so the scan reads pages until it has `limit` or none are left.
 */
async function stalledNextClaims(db: Db, before: Date, limit: number) {
  const found: { id: number; installationId: number; repository: string; nextBy: string | null }[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await db.fix.findMany({
      where: { state: { in: ["verifying", "unverifiable"] }, nextBy: { not: null }, updatedAt: { lt: before } },
      select: { id: true, installationId: true, repository: true, nextBy: true },
      orderBy: [{ updatedAt: "asc" }, { id: "asc" }],
      take: limit,
      ...(cursor === undefined ? {} : { cursor: { id: cursor }, skip: 1 }),
    });
    if (page.length === 0) break;
    const shown = await db.fixProposal.findMany({
      where: { state: { not: "draft" }, OR: page.map((f) => ({ fixId: f.id, requestKey: f.nextBy })) },
      select: { fixId: true },
    });
    const waiting = new Set(shown.map((p) => p.fixId));
    found.push(...page.filter((f) => !waiting.has(f.id)));
    if (found.length >= limit || page.length < limit) break;
    cursor = page.at(-1)!.id;
  }
  return found.slice(0, limit);
}
