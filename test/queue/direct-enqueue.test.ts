import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, enableWal } from "../../src/db/client.js";
import { DirectEnqueue } from "../../src/queue/direct-enqueue.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import type { NewJob } from "../../src/queue/types.js";
import { createTestDb } from "../helpers/db.js";

// The server's enqueue: its own connection (no Prisma), enqueues issued together in one transaction, and a database
// locked by the job thread's connection is waited for without blocking the event loop.

let db: Db;
let file: string;
let url: string;
let direct: DirectEnqueue;

beforeEach(async () => {
  ({ db, file, url } = createTestDb());
  await enableWal(url); // as the server runs it: readers never block the writer

  direct = new DirectEnqueue(url, { busyTimeoutMs: 300 });
});
afterEach(async () => {
  direct.close();
  await db.$disconnect();
});

const job = (key: string, over: Partial<NewJob> = {}): NewJob => ({
  kind: "diagnose-run",
  dedupeKey: key,
  installationId: 7,
  repository: "o/r",
  payload: { key },
  ...over,
});

describe("DirectEnqueue", () => {
  it("writes the rows SqliteQueue writes, and knows a dedupe key it has seen (also within one batch)", async () => {
    const queue = new SqliteQueue(db, direct);
    const [a, b, again] = await Promise.all([
      queue.enqueue(job("a", { deliveryId: "d-1" })),
      queue.enqueue(job("b")),
      queue.enqueue(job("a", { deliveryId: "d-2" })),
    ]);
    expect(a).toEqual({ created: true, jobId: expect.any(Number) });
    expect(b).toEqual({ created: true, jobId: Number(a.jobId ?? 0) + 1 });
    expect(again).toEqual({ created: false, jobId: a.jobId });
    expect(await queue.enqueue(job("b"))).toEqual({ created: false, jobId: b.jobId });
    const rows = await db.job.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => r.dedupeKey)).toEqual(["a", "b"]);
    expect(rows[0]).toMatchObject({
      deliveryId: "d-1",
      state: "queued",
      attempts: 0,
      maxAttempts: 5,
      payload: '{"key":"a"}',
      installationId: 7,
    });
    // Prisma reads the dates back (same text format as its own writes), and the worker can claim the job.
    expect(rows[0]!.runAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await new SqliteQueue(db).claim("w", { perInstallationLimit: 5 })).toMatchObject({
      id: a.jobId,
      payload: { key: "a" },
    });
  });

  it("waits for a write lock held by another connection without blocking, then writes", async () => {
    const other = new Database(file);
    other.prepare("BEGIN IMMEDIATE").run();
    const pending = direct.enqueue(job("locked"));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBeGreaterThan(5); // the event loop kept turning while the enqueue waited
    other.prepare("COMMIT").run();
    other.close();
    clearInterval(ticker);
    expect(await pending).toEqual({ created: true, jobId: expect.any(Number) });
  });

  it("gives up after the busy timeout with SQLite's error, so the webhook is answered 500 and redelivered", async () => {
    const other = new Database(file);
    other.prepare("BEGIN IMMEDIATE").run();
    await expect(direct.enqueue(job("locked"))).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    other.prepare("ROLLBACK").run();
    other.close();
    expect(await direct.enqueue(job("after"))).toMatchObject({ created: true });
  });
});

describe("Prisma transactions next to another writer", () => {
  it("begin IMMEDIATE: a transaction that reads, then writes after another connection wrote, does not fail", async () => {
    // With a deferred BEGIN, the other connection's commit between the read and the write makes the write fail at
    // once (SQLITE_BUSY_SNAPSHOT). IMMEDIATE holds the write lock from the start: the other writer waits instead.
    const other = new Database(file, { timeout: 0 });
    let otherError: unknown;
    await db.$transaction(async (tx) => {
      await tx.job.findMany();
      try {
        other
          .prepare(
            `INSERT INTO "Job" ("kind", "dedupeKey", "installationId", "repository", "payload", "runAt", "createdAt", "updatedAt") VALUES ('k', 'other', 1, 'o/r', '{}', '2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:00.000+00:00')`,
          )
          .run();
      } catch (error) {
        otherError = error;
      }
      await tx.job.create({
        data: { kind: "k", dedupeKey: "mine", installationId: 1, repository: "o/r", payload: "{}" },
      });
    });
    other.close();
    expect(otherError).toMatchObject({ code: "SQLITE_BUSY" });
    expect((await db.job.findMany()).map((j) => j.dedupeKey)).toEqual(["mine"]);
  });
});
