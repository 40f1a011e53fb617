import pg from "pg";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { openQueue, type QueueEngine } from "../../src/queue/engine.js";
import { jobIdOf, PgBossStore, SESSION_NAME } from "../../src/queue/pg-boss-store.js";
import type { Worker } from "../../src/queue/worker.js";
import { createPgTestDb, pgTemplate } from "../helpers/postgres.js";

// What only the PostgreSQL engine has: the job id derived from the dedupe key, and the session holding the
// per-installation locks, which must come back after the database drops it.

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe("jobIdOf", () => {
  it("is one UUID per dedupe key, the same every time", () => {
    const id = jobIdOf("diagnose:o/r:1:1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobIdOf("diagnose:o/r:1:1")).toBe(id);
    expect(jobIdOf("diagnose:o/r:1:2")).not.toBe(id);
  });
});

describe.skipIf(!pgTemplate())("the pg-boss store's session", () => {
  let database: Awaited<ReturnType<typeof createPgTestDb>>;
  let db: Db;
  let queue: QueueEngine;
  let worker: Worker | undefined;

  beforeEach(async () => {
    database = await createPgTestDb();
    db = createDb(database.url);
    queue = await openQueue({
      databaseUrl: database.url,
      db,
      runsJobs: true,
      leaseMs: 5_000,
      retentionDays: 30,
      log: silent,
    });
  });
  afterEach(async () => {
    await worker?.stop(1_000);
    await queue.close();
    await db.$disconnect();
    await database.drop();
  });

  it("is opened again after the server ends it, and jobs keep running", async () => {
    const ran: string[] = [];
    worker = queue.worker({
      handlers: { work: async (job) => void ran.push((job.payload as { key: string }).key) },
      log: silent,
      concurrency: 2,
      perInstallationLimit: 1,
      pollMs: 100,
    });
    await worker.start();
    await queue.enqueue({ kind: "work", dedupeKey: "a", installationId: 1, repository: "o/r", payload: { key: "a" } });
    worker.wake();
    await waitFor(() => ran.length === 1);

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        [SESSION_NAME],
      );
      expect(rowCount).toBe(1);
      await queue.enqueue({
        kind: "work",
        dedupeKey: "b",
        installationId: 1,
        repository: "o/r",
        payload: { key: "b" },
      });
      worker.wake();
      await waitFor(() => ran.length === 2);
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
        [SESSION_NAME],
      );
      expect(rows[0].n).toBe(1); // a new session, not two
    } finally {
      await admin.end();
    }
    expect(ran).toEqual(["a", "b"]);
  });

  it("puts a fetched job back at once when the session fails before its slot is taken", async () => {
    await queue.enqueue({ kind: "work", dedupeKey: "a", installationId: 1, repository: "o/r", payload: { key: "a" } });
    // The session ended by the server a moment before the claim noticed: its advisory-lock query fails.
    const slot = vi
      .spyOn(PgBossStore.prototype as unknown as { takeSlot(): Promise<boolean> }, "takeSlot")
      .mockRejectedValueOnce(new Error("Connection terminated unexpectedly"));
    const ran: string[] = [];
    worker = queue.worker({
      handlers: { work: async (job) => void ran.push((job.payload as { key: string }).key) },
      log: silent,
      concurrency: 1,
      perInstallationLimit: 1,
      pollMs: 100,
    });
    try {
      await worker.start();
      // Not left running, nobody's, until pg-boss expires its lease (5 s here, a minute by default): run right away.
      await waitFor(() => ran.length === 1, 3_000);
      expect(slot).toHaveBeenCalledTimes(2);
      expect(ran).toEqual(["a"]);
    } finally {
      slot.mockRestore();
    }
  });

  it("reads no job's data for a readiness probe while no job is due; the moved check runs once one is", async () => {
    const job = (key: string, runAt: Date) => ({
      kind: "work",
      dedupeKey: key,
      installationId: 1,
      repository: "o/r",
      payload: { key },
      runAt,
    });
    await queue.enqueue(job("later", new Date(Date.now() + 60 * 60_000)));
    const statements = vi.spyOn(PgBossStore.prototype as unknown as { sql(text: string): Promise<unknown> }, "sql");
    // The statements that parse `claimedAt` out of the jobs' data: without an index, they read the whole queue.
    const movedChecks = () => statements.mock.calls.filter(([text]) => text.includes("claimedAt")).length;
    try {
      expect(await queue.health({ maxWaitMs: 15 * 60_000 })).toEqual({ wedged: false });
      expect(movedChecks()).toBe(0);
      await queue.enqueue(job("late", new Date(Date.now() - 60 * 60_000)));
      const health = await queue.health({ maxWaitMs: 15 * 60_000 });
      expect(health.wedged).toBe(true);
      expect(health.detail).toMatch(/^a job has been due for 6\d min, and none has started or finished/);
      expect(movedChecks()).toBe(1);
    } finally {
      statements.mockRestore();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
