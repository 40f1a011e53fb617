import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { withTimeBudget } from "../../src/jobs/time-budget.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import { Worker } from "../../src/queue/worker.js";
import { createTestDb } from "../helpers/db.js";

// A job that never ends must not hold the worker: past its budget it is stopped, recorded, and the next job runs.

let db: Db;
let queue: SqliteQueue;
const silent = { info() {}, warn() {}, error() {}, debug() {} };

beforeEach(() => {
  db = createTestDb().db;
  queue = new SqliteQueue(db);
});
afterEach(async () => {
  await db.$disconnect();
});

describe("withTimeBudget", () => {
  it("stops a job past its budget, aborts its signal, records why, and frees the slot for the next job", async () => {
    const seen: string[] = [];
    let abortedWith: unknown;
    const handler = withTimeBudget(async (job, signal) => {
      const key = (job.payload as { key: string }).key;
      seen.push(key);
      if (key === "stuck") {
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => {
            abortedWith = signal.reason;
            resolve();
          }),
        );
        await new Promise(() => {}); // and never ends even after the abort
      }
    }, 100);
    const worker = new Worker({ queue, handlers: { work: handler }, log: silent, backoff: () => 0, concurrency: 1 });
    for (const key of ["stuck", "next"])
      await queue.enqueue({ kind: "work", dedupeKey: key, installationId: 1, repository: "o/r", payload: { key } });

    const started = Date.now();
    await worker.runUntilIdle();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toEqual(["stuck", "next"]);
    expect(abortedWith).toMatchObject({ name: "JobTimeBudgetError" });
    const stuck = await db.job.findFirstOrThrow({ where: { dedupeKey: "stuck" } });
    expect(stuck.state).toBe("dead");
    expect(stuck.lastError).toBe("JobTimeBudgetError: the job took longer than its time budget (0 s) and was stopped");
    expect((await db.job.findFirstOrThrow({ where: { dedupeKey: "next" } })).state).toBe("done");
  });

  it("passes through the result of a job within its budget", async () => {
    const handler = withTimeBudget(async () => {}, 1_000);
    await expect(handler({} as never, new AbortController().signal)).resolves.toBeUndefined();
  });
});
