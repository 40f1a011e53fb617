import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import type { NewJob } from "../../src/queue/types.js";
import { createTestDb } from "../helpers/db.js";

let db: Db;
let queue: SqliteQueue;

beforeEach(() => {
  db = createTestDb().db;
  queue = new SqliteQueue(db);
});
afterEach(async () => {
  await db.$disconnect();
});

const job = (over: Partial<NewJob> = {}): NewJob => ({
  kind: "diagnose-run",
  dedupeKey: "diagnose:o/r:1:1",
  installationId: 7,
  repository: "o/r",
  payload: { hello: "world" },
  ...over,
});

describe("SqliteQueue", () => {
  it("records the delivery in its job; the same delivery, or the same work under another delivery, enqueues nothing", async () => {
    const first = await queue.enqueue(job({ deliveryId: "d-1" }));
    const again = await queue.enqueue(job({ deliveryId: "d-1" }));
    const other = await queue.enqueue(job({ deliveryId: "d-2" }));
    expect(first).toEqual({ created: true, jobId: expect.any(Number) });
    expect(again).toEqual({ created: false, jobId: first.jobId });
    expect(other).toEqual({ created: false, jobId: first.jobId });
    const rows = await db.job.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      deliveryId: "d-1",
      state: "queued",
      attempts: 0,
      maxAttempts: 5,
      payload: '{"hello":"world"}',
    });
    // Raw and Prisma writes use one date format: Prisma reads the raw row's dates back.
    expect(rows[0]!.runAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("claims a job once, marks it running and counts the attempt", async () => {
    await queue.enqueue(job());
    const [a, b] = await Promise.all([
      queue.claim("w1", { perInstallationLimit: 5 }),
      queue.claim("w2", { perInstallationLimit: 5 }),
    ]);
    const claimed = [a, b].filter(Boolean);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ kind: "diagnose-run", attempts: 1, payload: { hello: "world" } });
    const row = await db.job.findFirstOrThrow();
    expect(row.state).toBe("running");
    expect(["w1", "w2"]).toContain(row.lockedBy);
  });

  it("does not claim jobs that are not due yet", async () => {
    await queue.enqueue(job({ runAt: new Date(Date.now() + 60_000) }));
    expect(await queue.claim("w", { perInstallationLimit: 5 })).toBeNull();
    expect(await queue.claim("w", { perInstallationLimit: 5, now: new Date(Date.now() + 61_000) })).not.toBeNull();
  });

  it("skips an installation that already runs its limit of jobs", async () => {
    await queue.enqueue(job({ dedupeKey: "a", installationId: 1 }));
    await queue.enqueue(job({ dedupeKey: "b", installationId: 1 }));
    await queue.enqueue(job({ dedupeKey: "c", installationId: 2 }));
    const first = await queue.claim("w", { perInstallationLimit: 1 });
    const second = await queue.claim("w", { perInstallationLimit: 1 });
    const third = await queue.claim("w", { perInstallationLimit: 1 });
    expect([first?.installationId, second?.installationId]).toEqual([1, 2]);
    expect(third).toBeNull();
  });

  it("retries later, keeps the last error, and does not count rate-limit waits", async () => {
    await queue.enqueue(job());
    const claimed = (await queue.claim("w", { perInstallationLimit: 5 }))!;
    const later = new Date(Date.now() + 30_000);
    expect(await queue.retry("w", claimed, "Error: boom", later)).toBe(true);
    let row = await db.job.findFirstOrThrow();
    expect(row).toMatchObject({ state: "queued", attempts: 1, lastError: "Error: boom", lockedBy: null });
    expect(row.runAt.getTime()).toBe(later.getTime());

    const again = (await queue.claim("w", { perInstallationLimit: 5, now: new Date(Date.now() + 31_000) }))!;
    expect(await queue.retry("w", again, "rate limited", later, { countAttempt: false })).toBe(true);
    row = await db.job.findFirstOrThrow();
    expect(row.attempts).toBe(1);
  });

  it("marks a job dead with its error", async () => {
    await queue.enqueue(job());
    const claimed = (await queue.claim("w", { perInstallationLimit: 5 }))!;
    expect(await queue.kill("w", claimed, "PermanentJobError: bad payload")).toBe(true);
    expect(await queue.counts()).toEqual({ queued: 0, running: 0, done: 0, dead: 1 });
  });

  it("records an outcome only from the claim that holds the job: not from a worker whose lease ran out", async () => {
    await queue.enqueue(job());
    const stale = (await queue.claim("paused", { perInstallationLimit: 5 }))!;
    expect(await queue.recoverStale(new Date(Date.now() + 1))).toBe(1); // its lease ran out
    const current = (await queue.claim("paused", { perInstallationLimit: 5 }))!; // the same worker, a new claim
    const later = new Date(Date.now() + 30_000);
    const before = await db.job.findFirstOrThrow();
    expect(before).toMatchObject({ state: "running", lockedBy: "paused", attempts: 2 });
    expect(await queue.complete("paused", stale)).toBe(false);
    expect(await queue.retry("paused", stale, "Error: late", later)).toBe(false);
    expect(await queue.retry("paused", stale, "rate limited", later, { countAttempt: false })).toBe(false);
    expect(await queue.kill("paused", stale, "PermanentJobError: late")).toBe(false);
    for (const other of ["another", "w"]) expect(await queue.complete(other, current)).toBe(false);
    expect(await db.job.findFirstOrThrow()).toEqual(before);
    expect(await queue.complete("paused", current)).toBe(true);
    expect(await db.job.findFirstOrThrow()).toMatchObject({ state: "done", lockedBy: null });
    expect(await queue.complete("paused", current)).toBe(false); // finished: nothing more to record
  });

  it("puts jobs of a dead process back in the queue, and a stopping worker's jobs back without an attempt", async () => {
    await queue.enqueue(job({ dedupeKey: "a" }));
    await queue.enqueue(job({ dedupeKey: "b", installationId: 8 }));
    await queue.claim("dead-worker", { perInstallationLimit: 5 });
    await queue.claim("live-worker", { perInstallationLimit: 5 });
    expect(await queue.release("live-worker")).toBe(1);
    expect(await queue.recoverStale(new Date(Date.now() + 1))).toBe(1);
    const rows = await db.job.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.state, r.attempts])).toEqual([
      ["queued", 1],
      ["queued", 0],
    ]);
  });

  it("a job whose holder died on its last attempt is dead, not run again on every restart", async () => {
    await queue.enqueue(job({ dedupeKey: "crashes", maxAttempts: 1 }));
    await queue.enqueue(job({ dedupeKey: "survives", installationId: 8 }));
    await queue.claim("dead-worker", { perInstallationLimit: 5 });
    await queue.claim("dead-worker", { perInstallationLimit: 5 });
    expect(await queue.recoverStale(new Date(Date.now() + 1))).toBe(2);
    const rows = await db.job.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.dedupeKey, r.state, r.lockedBy])).toEqual([
      ["crashes", "dead", null],
      ["survives", "queued", null],
    ]);
    expect(rows[0]!.lastError).toMatch(/stopped renewing its lease/);
  });
});
