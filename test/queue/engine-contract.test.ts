import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { openQueue, type QueueEngine, type RunOptions } from "../../src/queue/engine.js";
import { PermanentJobError, RetryLaterError } from "../../src/queue/errors.js";
import { PgBossStore } from "../../src/queue/pg-boss-store.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import type { JobStore, NewJob } from "../../src/queue/types.js";
import type { JobHandler, Worker } from "../../src/queue/worker.js";
import { createTestDb } from "../helpers/db.js";
import { createPgTestDb, pgTemplate } from "../helpers/postgres.js";

// One contract for the queue seam, run against both engines: SQLite (the Job table) and PostgreSQL (pg-boss). Two
// engines opened on one database stand for two replicas.

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const LEASE_MS = 2_000;

interface Database {
  url: string;
  db: Db;
  close(): Promise<void>;
}

const engines: { name: string; skip: boolean; store: { prototype: JobStore }; database(): Promise<Database> }[] = [
  {
    name: "SQLite",
    skip: false,
    store: SqliteQueue,
    async database() {
      const { db, url } = createTestDb();
      return { url, db, close: () => db.$disconnect() };
    },
  },
  {
    name: "PostgreSQL (pg-boss)",
    skip: !pgTemplate(),
    store: PgBossStore,
    async database() {
      const pg = await createPgTestDb();
      const db = createDb(pg.url);
      return {
        url: pg.url,
        db,
        async close() {
          await db.$disconnect();
          await pg.drop();
        },
      };
    },
  },
];

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition") {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const engine of engines) {
  describe.skipIf(engine.skip)(`queue engine contract: ${engine.name}`, () => {
    let database: Database;
    const opened: QueueEngine[] = [];
    const workers: Worker[] = [];

    beforeEach(async () => {
      database = await engine.database();
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop(1_000)));
      await Promise.all(opened.splice(0).map((q) => q.close()));
      await database.close();
    });

    /** One replica's queue on the test database. */
    async function replica(): Promise<QueueEngine> {
      const queue = await openQueue({
        databaseUrl: database.url,
        db: database.db,
        runsJobs: true,
        leaseMs: LEASE_MS,
        retentionDays: 30,
        retryDelaySeconds: 1,
        log: silent,
      });
      opened.push(queue);
      return queue;
    }

    function start(queue: QueueEngine, handler: JobHandler, over: Partial<RunOptions> = {}): Worker {
      const worker = queue.worker({
        handlers: { work: handler },
        log: silent,
        concurrency: 4,
        perInstallationLimit: 1,
        pollMs: 200,
        backoff: () => 1_000,
        ...over,
      });
      workers.push(worker);
      void worker.start();
      return worker;
    }

    const job = (key: string, over: Partial<NewJob> = {}): NewJob => ({
      kind: "work",
      dedupeKey: key,
      installationId: 1,
      repository: "o/r",
      payload: { key },
      deliveryId: `delivery-${key}`,
      ...over,
    });
    const keyOf = (payload: unknown) => (payload as { key: string }).key;

    it("runs a job once however often, and by however many replicas, its dedupe key is enqueued", async () => {
      const [a, b] = [await replica(), await replica()];
      const results = await Promise.all([a.enqueue(job("x")), b.enqueue(job("x")), a.enqueue(job("x"))]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => String(r.jobId))).size).toBe(1);
      const ran: string[] = [];
      const handler: JobHandler = async (j) => void ran.push(`${keyOf(j.payload)}:${j.deliveryId}:${j.attempts}`);
      start(a, handler);
      start(b, handler);
      await waitFor(async () => (await a.counts()).done === 1, 10_000, "the job done");
      await new Promise((r) => setTimeout(r, 500));
      expect(ran).toEqual(["x:delivery-x:1"]);
      expect(await b.enqueue(job("x"))).toMatchObject({ created: false });
      expect(await a.counts()).toEqual({ queued: 0, running: 0, done: 1, dead: 0 });
      // Delivery recovery asks which failed deliveries are recorded: the finished job still says so.
      expect(await b.recordedDeliveries(["delivery-x", "delivery-unknown"])).toEqual(new Set(["delivery-x"]));
    });

    it("retries a failing job after a delay, with the attempt number, then succeeds", async () => {
      const q = await replica();
      await q.enqueue(job("flaky", { maxAttempts: 3 }));
      const attempts: { n: number; at: number }[] = [];
      start(q, async (j) => {
        attempts.push({ n: j.attempts, at: Date.now() });
        if (j.attempts === 1) throw new Error("transient");
      });
      await waitFor(async () => (await q.counts()).done === 1, 15_000, "the retried job done");
      expect(attempts.map((a) => a.n)).toEqual([1, 2]);
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(400);
    });

    it("marks a permanent failure, or a job past its last attempt, dead without another try", async () => {
      const q = await replica();
      await q.enqueue(job("bad", { maxAttempts: 5 }));
      await q.enqueue(job("once", { maxAttempts: 1, installationId: 2 }));
      const calls: string[] = [];
      start(q, async (j) => {
        calls.push(keyOf(j.payload));
        if (keyOf(j.payload) === "bad") throw new PermanentJobError("no such event");
        throw new Error("fails its only attempt");
      });
      await waitFor(async () => (await q.counts()).dead === 2, 10_000, "two dead jobs");
      await new Promise((r) => setTimeout(r, 1_500));
      expect(calls.sort()).toEqual(["bad", "once"]);
    });

    it("waits out a rate limit until its reset without spending an attempt", async () => {
      const q = await replica();
      await q.enqueue(job("limited", { maxAttempts: 1 }));
      const seen: { n: number; at: number }[] = [];
      let resetAt = 0;
      start(q, async (j) => {
        seen.push({ n: j.attempts, at: Date.now() });
        if (seen.length === 1) {
          resetAt = Date.now() + 1_200;
          throw new RetryLaterError("secondary rate limit", new Date(resetAt));
        }
      });
      await waitFor(async () => (await q.counts()).done === 1, 10_000, "the job done after its wait");
      expect(seen.map((s) => s.n)).toEqual([1, 1]); // one attempt allowed, and it was not spent by the wait
      expect(seen[1]!.at).toBeGreaterThanOrEqual(resetAt - 50);
    });

    it("never runs more than the per-installation limit at once across replicas, and runs other installations meanwhile", async () => {
      const [a, b] = [await replica(), await replica()];
      for (let i = 0; i < 4; i++) await a.enqueue(job(`one-${i}`));
      await a.enqueue(job("other", { installationId: 2 }));
      let running = 0;
      let most = 0;
      const order: string[] = [];
      const handler: JobHandler = async (j) => {
        const key = keyOf(j.payload);
        order.push(key);
        if (key === "other") return;
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 300));
        running--;
      };
      start(a, handler);
      start(b, handler);
      await waitFor(async () => (await a.counts()).done === 5, 20_000, "five jobs done");
      expect(most).toBe(1);
      expect(order.indexOf("other")).toBeLessThan(order.length - 1); // not left behind the flood
    });

    it("on stop past the deadline, puts a running job back untouched, and another replica runs it as its first attempt", async () => {
      const [a, b] = [await replica(), await replica()];
      await a.enqueue(job("long"));
      const first = start(
        a,
        (_j, signal) =>
          new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      );
      await waitFor(() => first.activeCount === 1, 10_000, "the job running");
      await first.stop(50);
      expect(await a.counts()).toMatchObject({ queued: 1, running: 0 });
      const attempts: number[] = [];
      start(b, async (j) => void attempts.push(j.attempts));
      await waitFor(async () => (await b.counts()).done === 1, 10_000, "the job done by the other replica");
      expect(attempts).toEqual([1]);
    });

    it("runs a job again on another replica once its holder stops renewing the lease, never while it renews", async () => {
      const [a, b] = [await replica(), await replica()];
      await a.enqueue(job("held"));
      const holder = start(a, () => new Promise<void>(() => undefined)); // runs for ever, lease renewed
      await waitFor(() => holder.activeCount === 1, 10_000, "the job running on the first replica");
      const ranOnB: number[] = [];
      start(b, async (j) => void ranOnB.push(j.attempts));
      await new Promise((r) => setTimeout(r, LEASE_MS * 2));
      expect(ranOnB).toEqual([]); // the lease is renewed: nobody else takes it
      const died = Date.now();
      holder.abandon(); // what SIGKILL leaves: a running job, no more renewals
      workers.splice(workers.indexOf(holder), 1);
      opened.splice(opened.indexOf(a), 1);
      await a.close();
      await waitFor(() => ranOnB.length === 1, 20_000, "the job run by the second replica");
      expect(Date.now() - died).toBeLessThan(10 * LEASE_MS);
      await waitFor(async () => (await b.counts()).done === 1, 10_000, "the job done");
    });

    it("records no outcome from a worker whose lease ran out and whose job another worker took", async () => {
      const [a, b] = [await replica(), await replica()];
      // What the first worker will do with each job once it wakes up: each way a worker records an outcome.
      const outcomes = {
        done: () => undefined,
        retry: () => {
          throw new Error("transient");
        },
        wait: () => {
          throw new RetryLaterError("secondary rate limit", new Date(Date.now() + 60_000));
        },
        dead: () => {
          throw new PermanentJobError("bad payload");
        },
      };
      const keys = Object.keys(outcomes) as (keyof typeof outcomes)[];
      for (const [i, key] of keys.entries()) await a.enqueue(job(key, { installationId: 10 + i }));

      // The first worker freezes (a paused VM, a blocked event loop): its handlers hang and its leases are not renewed.
      const frozen = new Set<string>();
      const renew = engine.store.prototype.renew;
      const renewals = vi.spyOn(engine.store.prototype, "renew").mockImplementation(function (this: JobStore, id, ids) {
        return frozen.has(id) ? Promise.resolve() : renew.call(this, id, ids);
      });
      try {
        const wakeUp: (() => void)[] = [];
        const warned: string[] = [];
        const seen: string[] = [];
        const first = start(
          a,
          (j) =>
            new Promise<void>((resolve, reject) =>
              wakeUp.push(() => {
                try {
                  outcomes[keyOf(j.payload) as keyof typeof outcomes]();
                  resolve();
                } catch (error) {
                  reject(error);
                }
              }),
            ),
          {
            log: { ...silent, warn: (_obj: object, msg: string) => void warned.push(msg) },
            observer: { onJobFinished: (_j, outcome) => void seen.push(outcome) },
          },
        );
        frozen.add(first.id);
        await waitFor(() => first.activeCount === keys.length, 10_000, "the jobs running on the first worker");

        // The second worker takes each job once its lease is out (a second slot: the frozen one still holds the first).
        const taken: { key: string; attempt: number }[] = [];
        let finish!: () => void;
        const finished = new Promise<void>((r) => (finish = r));
        start(
          b,
          async (j) => {
            taken.push({ key: keyOf(j.payload), attempt: j.attempts });
            await finished;
          },
          { perInstallationLimit: 2 },
        );
        await waitFor(() => taken.length === keys.length, 20_000, "the jobs taken by the second worker");

        // The first worker wakes up: each of its outcomes is refused and reported, the jobs stay the second's.
        for (const wake of wakeUp) wake();
        await waitFor(() => first.activeCount === 0, 10_000, "the first worker's handlers finished");
        expect(await a.counts()).toEqual({ queued: 0, running: keys.length, done: 0, dead: 0 });
        expect(warned.filter((m) => m.startsWith("outcome not recorded"))).toHaveLength(keys.length);
        expect(seen).toEqual(keys.map(() => "lost"));

        finish();
        await waitFor(
          async () => (await a.counts()).done === keys.length,
          10_000,
          "the jobs done by the second worker",
        );
        await new Promise((r) => setTimeout(r, 1_000));
        expect(taken.sort((x, y) => x.key.localeCompare(y.key))).toEqual(
          [...keys].sort().map((key) => ({ key, attempt: 2 })),
        );
        expect(await b.counts()).toEqual({ queued: 0, running: 0, done: keys.length, dead: 0 });
      } finally {
        renewals.mockRestore();
      }
    });

    it("does not report a long backlog as wedged while its jobs start and finish", async () => {
      const q = await replica();
      const hourAgo = new Date(Date.now() - 60 * 60_000);
      for (const key of ["first", "second", "third"]) await q.enqueue(job(key, { runAt: hourAgo }));
      const limits = { maxWaitMs: 15 * 60_000 };
      expect((await q.health(limits)).wedged).toBe(true); // due for an hour, and nothing has started
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // One job at a time (one installation): the first to start finishes, the next runs, the last waits its turn.
      let started = 0;
      start(q, async () => {
        if (++started === 2) await held;
      });
      await waitFor(async () => (await q.counts()).done === 1 && (await q.counts()).running === 1, 10_000, "one done");
      expect(await q.counts()).toMatchObject({ queued: 1 });
      expect(await q.health(limits)).toEqual({ wedged: false });
      // Fifteen minutes on with nothing started or finished since: the job still due is stuck.
      const later = await q.health({ ...limits, now: () => new Date(Date.now() + 16 * 60_000) });
      expect(later.wedged).toBe(true);
      expect(later.detail).toMatch(
        /^a job has been due for 7\d min, and none has started or finished in the last 15 min$/,
      );
      release();
      await waitFor(async () => (await q.counts()).done === 3, 10_000, "the backlog done");
    });

    it("reports a job due for too long as wedged, and purges finished jobs", async () => {
      const q = await replica();
      expect(await q.health()).toEqual({ wedged: false });
      await q.enqueue(job("late", { runAt: new Date(Date.now() - 60 * 60_000) }));
      const health = await q.health({ maxWaitMs: 15 * 60_000 });
      expect(health.wedged).toBe(true);
      expect(health.detail).toMatch(
        /^a job has been due for 6\d min, and none has started or finished in the last 15 min$/,
      );
      start(q, async () => undefined);
      await waitFor(async () => (await q.counts()).done === 1, 10_000, "the job done");
      expect(await q.health({ maxWaitMs: 15 * 60_000 })).toEqual({ wedged: false });
      expect(await q.purge(new Date(Date.now() - 60_000))).toBe(0); // finished just now: kept
      expect(await q.purge(new Date(Date.now() + 60_000))).toBe(1);
      expect(await q.counts()).toEqual({ queued: 0, running: 0, done: 0, dead: 0 });
    });
  });
}
