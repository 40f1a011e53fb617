import fs from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PRIVATE_KEY } from "../helpers/app.js";
import { testDir } from "../helpers/db.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { failingJobLog } from "../helpers/logs.js";
import { workflowRunCompleted } from "../helpers/payloads.js";
import { createPgTestDb, pgTemplate } from "../helpers/postgres.js";
import { freePort, ServerProcess, serverEnv, signedWebhook, waitFor } from "../helpers/server-process.js";

// Two real servers (lib/server.js) on one new PostgreSQL database, GitHub faked over HTTP: they migrate it together at
// start-up, deliveries are spread over both (some reach both), one is killed with SIGKILL while it holds jobs and is
// not restarted. Every failure ends with exactly one comment and one annotated check run. With Redis reachable, both
// share Probot's request throttling through it (REDIS_URL), as replicas in production should.

const SECRET = "replicas-test-secret";
const RUNS = [61, 62, 63, 64, 65, 66];
const LEASE_SECONDS = 3;
/** A database of its own on the Redis server, so that the throttling keys of this test are easy to find. */
const REDIS_URL = process.env.CI_MEDIC_TEST_REDIS_URL || "redis://127.0.0.1:6379/7";

async function redisReachable(): Promise<Redis | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch {
    redis.disconnect();
    // CI makes sure Redis runs (.ci/run): there, a missing server is a failure, not a quieter test.
    if (process.env.CI_MEDIC_REQUIRE_REDIS === "1") throw new Error(`Redis not reachable at ${REDIS_URL}`);
    console.warn(`Redis not reachable at ${REDIS_URL}: the replicas run without REDIS_URL.`);
    return undefined;
  }
}

describe.skipIf(!pgTemplate())("two replicas on one PostgreSQL database", () => {
  const github = new FakeGitHub();
  let database: Awaited<ReturnType<typeof createPgTestDb>>;
  let a: ServerProcess;
  let b: ServerProcess;
  let redis: Redis | undefined;

  beforeAll(async () => {
    redis = await redisReachable();
    await github.start();
    database = await createPgTestDb({ empty: true });
    for (const run of RUNS) github.runs.set(run, [{ id: run * 10, name: `test-${run}`, log: failingJobLog(run) }]);
  });

  afterAll(async () => {
    github.holdLogs = undefined;
    await a?.kill("SIGKILL");
    await b?.kill("SIGKILL");
    await github.stop();
    await database?.drop();
    redis?.disconnect();
  });

  /** Run `run` of its own installation (so the replicas work on them in parallel), on pull request `run`. */
  function delivery(run: number) {
    const payload = workflowRunCompleted({ runId: run, pr: run, headSha: `${run}`.repeat(20), branch: `f-${run}` });
    payload.installation = { ...payload.installation, id: 9000 + run };
    return signedWebhook(SECRET, "workflow_run", payload, `delivery-${run}`);
  }

  async function deliver(port: number, run: number): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, delivery(run));
    expect(res.status).toBeLessThan(300);
  }

  it("runs each failure once across both, and finishes the killed replica's jobs on the other", async () => {
    const dir = fs.mkdtempSync(path.join(testDir(), "replicas-"));
    const env = serverEnv(
      { dir, githubHost: github.host, secret: SECRET, privateKey: TEST_PRIVATE_KEY },
      {
        DATABASE_URL: database.url,
        JOB_LEASE_SECONDS: String(LEASE_SECONDS),
        WORKER_CONCURRENCY: "2",
        PER_INSTALLATION_CONCURRENCY: "1",
        SHUTDOWN_DEADLINE_MS: "5000",
        ...(redis ? { REDIS_URL } : {}),
      },
    );
    const throttleKeys = async () => (redis ? await redis.keys("b_octokit-*") : []);
    for (const key of await throttleKeys()) await redis?.del(key); // a previous run's
    let release!: () => void;
    github.holdLogs = new Promise<void>((resolve) => (release = resolve));
    const [portA, portB] = [await freePort(), await freePort()];
    a = new ServerProcess(env);
    b = new ServerProcess(env);
    // Both start on the empty database at once: one migrates it, the other waits for the lock and finds it done.
    await Promise.all([a.start(portA, 90_000), b.start(portB, 90_000)]);

    // Spread over both; the first three reach both replicas too (GitHub redelivering, a load balancer retrying).
    for (const [i, run] of RUNS.entries()) await deliver(i % 2 === 0 ? portA : portB, run);
    for (const run of RUNS.slice(0, 3)) await deliver(RUNS.indexOf(run) % 2 === 0 ? portB : portA, run);

    // Four log downloads held: each replica runs two jobs (its WORKER_CONCURRENCY), so the first holds two.
    await waitFor(() => github.count("GET", /^\/blob\/logs\//) >= 4, 60_000, "four jobs downloading their logs");
    expect(await a.kill("SIGKILL")).toBeNull();
    const killedAt = Date.now();
    expect(github.count("POST", /\/check-runs$/)).toBe(0);
    release();
    github.holdLogs = undefined;

    await waitFor(
      () => github.count("POST", /\/issues\/\d+\/comments$/) >= RUNS.length,
      120_000,
      "a comment on every pull request",
    );
    expect(Date.now() - killedAt).toBeLessThan(120_000); // the dead replica's jobs ran within two minutes
    await new Promise((r) => setTimeout(r, 2_000)); // anything that would post twice does so now

    const comments = github.requests.filter((r) => r.method === "POST" && /\/issues\/\d+\/comments$/.test(r.path));
    expect(comments.map((c) => c.path).sort()).toEqual(
      RUNS.map((run) => `/repos/octo-org/octo-repo/issues/${run}/comments`).sort(),
    );
    const checkRuns = github.requests.filter((r) => r.method === "POST" && /\/check-runs$/.test(r.path));
    expect(checkRuns.map((r) => r.body.head_sha).sort()).toEqual(RUNS.map((run) => `${run}`.repeat(20)).sort());
    for (const check of github.state.checkRuns.values()) {
      expect(check).toMatchObject({ name: "ci-medic", conclusion: "neutral" });
      expect(check.output.annotations.length).toBeGreaterThan(0);
    }

    // One job per failure in pg-boss, all done: the deliveries that reached both replicas made no second job.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ state: string; n: string }>(
        // Each start also queues its own delivery-recovery job: the diagnoses are counted here.
        "SELECT state, count(*) AS n FROM pgboss.job WHERE name = 'ci-medic-jobs' AND data->>'kind' = 'diagnose-run' GROUP BY state",
      );
      expect(rows.map((r) => [r.state, Number(r.n)])).toEqual([["completed", RUNS.length]]);
    } finally {
      await client.end();
    }
    const ready = await fetch(`http://127.0.0.1:${portB}/readyz`);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { database: "ok", migrations: "ok", queue: "ok" },
    });
    if (redis) {
      // Probot's limiters (Bottleneck) kept their state in Redis: what both replicas share.
      const keys = await throttleKeys();
      expect(keys.some((k) => k.startsWith("b_octokit-write"))).toBe(true);
    }
    expect(await b.kill("SIGTERM")).toBe(0);
  }, 300_000);
});
