import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { expireApprovals, purgeExpiredData, queueStalledClaims, vacuum } from "../../src/housekeeping/tasks.js";
import { QueueEngine } from "../../src/queue/engine.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import { createTestDb } from "../helpers/db.js";

let db: Db;
const DAY = 24 * 60 * 60 * 1000;
const now = new Date("2026-11-23T12:00:00Z");
const old = new Date(now.getTime() - 40 * DAY);
const recent = new Date(now.getTime() - 2 * DAY);

beforeEach(() => {
  db = createTestDb().db;
});
afterEach(async () => {
  await db.$disconnect();
});

async function analysisWithJob(createdAt: Date, runId: number) {
  const analysis = await db.runAnalysis.create({
    data: {
      installationId: 1,
      repository: "o/r",
      runId: BigInt(runId),
      runAttempt: 1,
      workflowId: 5n,
      workflowName: "CI",
      headSha: "a".repeat(40),
      event: "push",
      runUrl: "https://github.com/o/r/actions/runs/1",
    },
  });
  await db.failedJob.create({
    data: {
      analysisId: analysis.id,
      jobId: BigInt(runId),
      name: "test",
      failedSteps: "[]",
      logStatus: "ok",
      excerpt: "secret-free excerpt",
      annotations: "[]",
      category: "test",
      createdAt,
    },
  });
  return analysis;
}

describe("housekeeping", () => {
  it("purges excerpts and finished jobs (with their payloads) past the retention period, and nothing newer; twice is harmless", async () => {
    await analysisWithJob(old, 1);
    await analysisWithJob(recent, 2);
    await db.job.create({
      data: {
        kind: "diagnose-run",
        dedupeKey: "old",
        installationId: 1,
        repository: "o/r",
        payload: "{}",
        state: "done",
        updatedAt: old,
      },
    });
    await db.job.create({
      data: {
        kind: "diagnose-run",
        dedupeKey: "queued-old",
        installationId: 1,
        repository: "o/r",
        payload: "{}",
        state: "queued",
        updatedAt: old,
      },
    });

    expect(await purgeExpiredData(db, new QueueEngine(new SqliteQueue(db), 60_000), 30, now)).toEqual({
      excerptsPurged: 1,
      proposalsPurged: 0,
      jobsDeleted: 1,
    });
    expect(await purgeExpiredData(db, new QueueEngine(new SqliteQueue(db), 60_000), 30, now)).toEqual({
      excerptsPurged: 0,
      proposalsPurged: 0,
      jobsDeleted: 0,
    });

    const jobs = await db.failedJob.findMany({ orderBy: { jobId: "asc" } });
    expect(jobs.map((j) => j.excerpt)).toEqual([null, "secret-free excerpt"]);
    expect((await db.job.findMany()).map((j) => j.dedupeKey)).toEqual(["queued-old"]);
  });

  it("empties the repository files held by fix proposals past the retention period, and nothing newer", async () => {
    const analysis = await analysisWithJob(recent, 7);
    const fix = await db.fix.create({
      data: {
        analysisId: analysis.id,
        installationId: 1,
        repository: "o/r",
        thread: 2,
        baseSha: "a".repeat(40),
        failedWorkflows: "[]",
      },
    });
    const files = JSON.stringify([{ path: "src/sum.ts", before: "return a - b;\n", after: "return a + b;\n" }]);
    const proposal = (createdAt: Date) => ({
      fixId: fix.id,
      attempt: 1,
      state: "applied",
      parentSha: "a".repeat(40),
      changes: files,
      contentHash: "0".repeat(64),
      explanation: "use +",
      requestedBy: "octocat",
      createdAt,
    });
    await db.fixProposal.create({ data: proposal(old) });
    await db.fixProposal.create({ data: proposal(recent) });

    const queue = new QueueEngine(new SqliteQueue(db), 60_000);
    expect(await purgeExpiredData(db, queue, 30, now)).toMatchObject({ proposalsPurged: 1 });
    expect(await purgeExpiredData(db, queue, 30, now)).toMatchObject({ proposalsPurged: 0 });
    const kept = await db.fixProposal.findMany({ orderBy: { createdAt: "asc" } });
    expect(kept.map((p) => p.changes)).toEqual(["[]", files]);
  });

  it("expires approvals left pending, not decided ones", async () => {
    const analysis = await analysisWithJob(recent, 3);
    const base = { analysisId: analysis.id, action: "approve", actor: "octocat", headSha: "a".repeat(40) };
    await db.approval.create({ data: { ...base, state: "pending", createdAt: old } });
    await db.approval.create({ data: { ...base, state: "opened", createdAt: old } });
    await db.approval.create({ data: { ...base, state: "pending", createdAt: new Date(now.getTime() - 60_000) } });
    expect(await expireApprovals(db, 24, now)).toEqual({ approvalsExpired: 1 });
    expect(await expireApprovals(db, 24, now)).toEqual({ approvalsExpired: 0 });
    expect((await db.approval.findMany({ orderBy: { id: "asc" } })).map((a) => a.state)).toEqual([
      "expired",
      "opened",
      "pending",
    ]);
  });

  it("stalled claims: a follow-up shown and waiting for /approve is not one, so a hundred of them do not hide a real one", async () => {
    // Each fix's run claimed what follows attempt 1 over an hour ago. The first 100 showed their follow-up (fix-stalled
    // skips them, and a scan returning them would return them forever); the last one's job died before showing it.
    const stale = new Date(now.getTime() - 2 * 60 * 60_000);
    const fixes = 101;
    for (let i = 0; i < fixes; i++) {
      const analysis = await db.runAnalysis.create({
        data: {
          installationId: 1,
          repository: "o/r",
          runId: BigInt(5000 + i),
          runAttempt: 1,
          workflowId: 5n,
          workflowName: "CI",
          headSha: "a".repeat(40),
          event: "push",
          runUrl: "https://github.com/o/r/actions/runs/1",
        },
      });
      const nextBy = `run:${7000 + i}:1`;
      const fix = await db.fix.create({
        data: {
          analysisId: analysis.id,
          installationId: 1,
          repository: "o/r",
          thread: 2,
          state: "verifying",
          baseSha: "a".repeat(40),
          failedWorkflows: "[]",
          attempts: 1,
          nextBy,
          // The shown ones waited longest: a scan oldest first finds them first too.
          updatedAt: new Date(stale.getTime() - (fixes - i) * 60_000),
        },
      });
      if (i < fixes - 1)
        await db.fixProposal.create({
          data: {
            fixId: fix.id,
            attempt: 2,
            state: "shown",
            requestKey: nextBy,
            parentSha: "c".repeat(40),
            changes: "[]",
            contentHash: "0".repeat(64),
            explanation: "x",
            requestedBy: "ci-medic",
          },
        });
    }
    const queue = new QueueEngine(new SqliteQueue(db), 60_000);
    expect(await queueStalledClaims(db, queue, 60_000, now)).toEqual({ stalledClaimsQueued: 1 });
    expect((await db.job.findMany({ where: { kind: "fix-stalled" } })).map((j) => j.dedupeKey)).toEqual([
      `fix-stalled:next:${fixes}:run:${7000 + fixes - 1}:1`,
    ]);
  });

  it("vacuums", async () => {
    expect(await vacuum(db)).toEqual({ vacuumed: true });
  });
});
