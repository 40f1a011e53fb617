import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Db } from "../../src/db/client.js";
import { PermanentJobError, RetryLaterError } from "../../src/queue/errors.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import { type JobHandler, Worker } from "../../src/queue/worker.js";
import { createTestDb } from "../helpers/db.js";

let db: Db;
let queue: SqliteQueue;
const silent = { info() {}, warn() {}, error() {}, debug() {} };

beforeEach(() => {
  // The worker's clock (poll, wake-up and stop timers, Date.now) is fake: waits cost no wall time and a loaded
  // machine cannot make them late. setImmediate and I/O stay real, so the database keeps answering.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  db = createTestDb().db;
  queue = new SqliteQueue(db);
});
afterEach(async () => {
  vi.useRealTimers();
  await db.$disconnect();
});

/** Lets `ms` of fake time pass, with the database's real work in between. */
async function elapse(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    await vi.advanceTimersByTimeAsync(Math.min(5, ms - t));
    await new Promise((r) => setImmediate(r));
  }
}

/** Lets fake time pass until `promise` settles (a stop waits on the worker's timers). */
async function until<T>(promise: Promise<T>, timeoutMs = 60_000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  const end = Date.now() + timeoutMs;
  while (!settled && Date.now() < end) await elapse(5);
  return watched;
}

/** Waits, in fake time, until `check` holds; fails after `timeoutMs` of it. */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await elapse(5);
  }
}

function worker(handler: JobHandler, over: Partial<ConstructorParameters<typeof Worker>[0]> = {}) {
  return new Worker({ queue, handlers: { work: handler }, log: silent, backoff: () => 0, ...over });
}

const enqueue = (key: string, maxAttempts = 3, installationId = 1) =>
  queue.enqueue({ kind: "work", dedupeKey: key, installationId, repository: "o/r", payload: { key }, maxAttempts });

/** A handler that records each job's key and holds the job keyed `held` until `release()`. */
function holding(held: string) {
  const started: string[] = [];
  let release!: () => void;
  const handler: JobHandler = async (job) => {
    const key = (job.payload as { key: string }).key;
    started.push(key);
    if (key === held) await new Promise<void>((r) => (release = r));
  };
  return { started, handler, release: () => release() };
}

describe("Worker", () => {
  it("runs queued jobs and marks them done", async () => {
    const seen: unknown[] = [];
    await enqueue("a");
    await enqueue("b");
    await worker(async (job) => void seen.push(job.payload)).runUntilIdle();
    expect(seen).toEqual([{ key: "a" }, { key: "b" }]);
    expect(await queue.counts()).toMatchObject({ done: 2, queued: 0 });
  });

  it("retries a failing job and marks it dead after its last attempt, keeping the error", async () => {
    let calls = 0;
    await enqueue("a", 3);
    await worker(async () => {
      calls++;
      throw new Error(`failure ${calls}`);
    }).runUntilIdle();
    expect(calls).toBe(3);
    const row = await db.job.findFirstOrThrow();
    expect(row).toMatchObject({ state: "dead", attempts: 3, lastError: "Error: failure 3" });
  });

  it("succeeds on a retry", async () => {
    let calls = 0;
    await enqueue("a");
    await worker(async () => {
      if (++calls === 1) throw new Error("transient");
    }).runUntilIdle();
    expect(await queue.counts()).toMatchObject({ done: 1 });
    expect(calls).toBe(2);
  });

  it("re-queues a rate-limited job at its reset time without spending an attempt", async () => {
    const reset = new Date(Date.now() + 3_600_000);
    await enqueue("a", 1);
    await worker(async () => {
      throw new RetryLaterError("secondary rate limit", reset);
    }).runUntilIdle();
    const row = await db.job.findFirstOrThrow();
    expect(row).toMatchObject({ state: "queued", attempts: 0 });
    expect(row.runAt.getTime()).toBe(reset.getTime());
  });

  it("marks a permanent failure dead at once", async () => {
    let calls = 0;
    await enqueue("a", 5);
    await worker(async () => {
      calls++;
      throw new PermanentJobError("no such event");
    }).runUntilIdle();
    expect(calls).toBe(1);
    expect((await db.job.findFirstOrThrow()).state).toBe("dead");
  });

  it("fails a job of an unknown kind for good", async () => {
    await queue.enqueue({ kind: "mystery", dedupeKey: "m", installationId: 1, repository: "o/r", payload: {} });
    await worker(async () => {}).runUntilIdle();
    expect(await db.job.findFirstOrThrow()).toMatchObject({
      state: "dead",
      lastError: 'PermanentJobError: no handler for job kind "mystery"',
    });
  });

  it("on stop, lets a running job finish within the deadline", async () => {
    await enqueue("a");
    let finish!: () => void;
    const w = worker(() => new Promise<void>((resolve) => (finish = resolve)), { pollMs: 10 });
    await w.start();
    await waitFor(() => w.activeCount === 1);
    const stopped = w.stop(5_000);
    finish();
    await until(stopped);
    expect((await db.job.findFirstOrThrow()).state).toBe("done");
  });

  it("on stop past the deadline, aborts the job and puts it back in the queue untouched", async () => {
    await enqueue("a");
    const w = worker(
      (_job, signal) =>
        new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      {
        pollMs: 10,
      },
    );
    await w.start();
    await waitFor(() => w.activeCount === 1);
    await until(w.stop(50));
    expect(await db.job.findFirstOrThrow()).toMatchObject({ state: "queued", attempts: 0, lockedBy: null });
  });

  it("takes up a job whose holder stopped renewing its lease, and never one whose holder renews it", async () => {
    await enqueue("dead");
    await enqueue("alive", 3, 2);
    await queue.claim("dead-process", { perInstallationLimit: 1 });
    await queue.claim("live-process", { perInstallationLimit: 1 });
    const renewing = setInterval(() => void queue.renew("live-process", [2]), 50);
    const ran: string[] = [];
    const w = worker(async (job) => void ran.push(String((job.payload as { key: string }).key)), {
      pollMs: 10,
      leaseMs: 600,
    });
    const started = Date.now();
    await w.start();
    await waitFor(async () => (await queue.counts()).done === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400); // not before its lease ran out
    await elapse(1_000); // more leases: the renewed job stays with its holder
    clearInterval(renewing);
    await until(w.stop(1_000));
    expect(ran).toEqual(["dead"]);
    expect(await db.job.findUniqueOrThrow({ where: { id: 2 } })).toMatchObject({
      state: "running",
      lockedBy: "live-process",
    });
  });
});

describe("Worker under load", () => {
  it("starts no new job while the event loop is busy, and resumes when it is not", async () => {
    await enqueue("a", 3, 1);
    await enqueue("b", 3, 2);
    let busy = true;
    const { started, handler, release } = holding("a");
    const w = worker(handler, { concurrency: 2, pollMs: 20, busy: () => busy });
    await w.start();
    await waitFor(() => started.length === 1);
    await elapse(200);
    expect(started).toEqual(["a"]); // a second slot is free, but the loop is busy
    busy = false;
    await waitFor(() => started.length === 2);
    release();
    await until(w.stop(1_000));
    expect(await queue.counts()).toMatchObject({ done: 2 });
  });
});

describe("Worker with one installation flooding the queue", () => {
  it("does not walk the queue after every enqueue while that installation's slot is taken, and still runs the others", async () => {
    let claims = 0;
    const counted = Object.assign(Object.create(queue) as SqliteQueue, {
      claim: (...args: Parameters<SqliteQueue["claim"]>) => {
        claims++;
        return queue.claim(...args);
      },
    });
    const { started, handler, release } = holding("flood-0");
    const w = worker(handler, { queue: counted, concurrency: 2, perInstallationLimit: 1 });
    await enqueue("flood-0");
    await w.start();
    await waitFor(() => started.length === 1);
    await elapse(50); // the look that found installation 1 full
    const before = claims;
    for (let i = 1; i <= 40; i++) {
      await enqueue(`flood-${i}`);
      w.wake();
      await elapse(5);
    }
    expect(claims - before).toBeLessThanOrEqual(3); // one look per 250 ms, not one per wake-up
    // Another installation's job still starts, a little later.
    await enqueue("other", 3, 2);
    w.wake();
    await waitFor(() => started.includes("other"));
    // A job finishing frees its installation: the next one starts at once.
    const finishedAt = Date.now();
    release();
    await waitFor(() => started.includes("flood-1"));
    expect(Date.now() - finishedAt).toBeLessThan(200);
    await until(w.stop(5_000));
  });
});
