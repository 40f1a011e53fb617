import { generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { Probot, Server } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { migrateDeploy } from "../../src/db/migrate.js";
import { createMetrics, type Metrics } from "../../src/observability/metrics.js";
import { databaseCheck, migrationsCheck, queueCheck } from "../../src/observability/readiness.js";
import { type RouteDeps, registerRoutes } from "../../src/observability/routes.js";
import { SqliteQueue } from "../../src/queue/sqlite-queue.js";
import { freePort } from "../helpers/server-process.js";

// The routes mounted the way the app mounts them: through `addHandler` on Probot's own HTTP server.

const TEST_PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();
const TOKEN = "0123456789abcdef0123456789abcdef";

async function startServer(deps: RouteDeps) {
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  const server = new Server({
    Probot: Probot.defaults({ appId: 1, privateKey: TEST_PRIVATE_KEY, secret: "s", log }),
    host: "127.0.0.1",
    port: await freePort(),
    log,
  });
  await server.load((_app, options) => registerRoutes(options, { log, ...deps }));
  await server.start();
  return { server, base: `http://127.0.0.1:${server.port}`, lines };
}

const okDeps = (metrics: Metrics): RouteDeps => ({
  metrics,
  checkDatabase: async () => {},
  checkMigrations: async () => {},
  checkQueue: async () => ({ wedged: false }),
});

describe("health, readiness and metrics on Probot's server", () => {
  let running: Awaited<ReturnType<typeof startServer>>;
  let metrics: Metrics;
  beforeAll(async () => {
    metrics = createMetrics({ jobCounts: async () => ({ queued: 3, running: 1, done: 10, dead: 0 }) });
    running = await startServer(okDeps(metrics));
  });
  afterAll(async () => {
    await running.server.stop();
  });

  it("GET /healthz answers 200 ok", async () => {
    const res = await fetch(`${running.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
  });

  it("GET /readyz answers 200 with each check when all pass", async () => {
    const res = await fetch(`${running.base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok", queue: "ok" } });
  });

  it("GET /metrics shows counters after they are bumped, and the job gauge from the queue", async () => {
    metrics.webhooksReceived.inc({ event: "workflow_run", outcome: "enqueued" });
    metrics.webhooksReceived.inc({ event: "workflow_run", outcome: "enqueued" });
    metrics.llmCalls.inc({ model: "gemini-2.5-flash", outcome: "ok" });
    metrics.llmTokens.inc({ model: "gemini-2.5-flash", direction: "input" }, 1234);
    metrics.fallbacks.inc({ reason: "invalid_output" });
    metrics.githubApiErrors.inc({ status: "502" });
    metrics.fixPrsOpened.inc();
    metrics.approvalsRefused.inc({ reason: "permission" });
    metrics.jobDuration.observe({ kind: "diagnose-run", outcome: "done" }, 3.2);
    const res = await fetch(`${running.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="enqueued"} 2');
    expect(text).toContain('ci_medic_llm_calls_total{model="gemini-2.5-flash",outcome="ok"} 1');
    expect(text).toContain('ci_medic_llm_tokens_total{model="gemini-2.5-flash",direction="input"} 1234');
    expect(text).toContain('ci_medic_diagnosis_fallbacks_total{reason="invalid_output"} 1');
    expect(text).toContain('ci_medic_github_api_errors_total{status="502"} 1');
    expect(text).toContain("ci_medic_fix_prs_opened_total 1");
    expect(text).toContain('ci_medic_approvals_refused_total{reason="permission"} 1');
    expect(text).toContain('ci_medic_job_duration_seconds_bucket{le="5",kind="diagnose-run",outcome="done"} 1');
    expect(text).toContain('ci_medic_jobs{state="queued"} 3');
    expect(text).toContain('ci_medic_jobs{state="running"} 1');
    expect(text).toContain("ci_medic_process_resident_memory_bytes");
  });

  it("leaves other paths to Probot (404) and still serves webhooks' path", async () => {
    expect((await fetch(`${running.base}/nope`)).status).toBe(404);
    expect((await fetch(`${running.base}/healthz`, { method: "POST" })).status).toBe(404);
  });
});

describe("the metrics token", () => {
  let running: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    running = await startServer({ ...okDeps(createMetrics({ defaultMetrics: false })), metricsToken: TOKEN });
  });
  afterAll(async () => {
    await running.server.stop();
  });

  it("refuses /metrics without the bearer token, or with a wrong one, with 401", async () => {
    const none = await fetch(`${running.base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect(await none.text()).toBe("unauthorized");
    expect((await fetch(`${running.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(
      401,
    );
    expect((await fetch(`${running.base}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
  });

  it("serves /metrics with the right token", async () => {
    const res = await fetch(`${running.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("# TYPE ci_medic_webhooks_received_total counter");
  });

  it("does not protect the probes", async () => {
    expect((await fetch(`${running.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${running.base}/readyz`)).status).toBe(200);
  });
});

describe("readiness against a real SQLite database", () => {
  // A migrated database of this file's own, outside .vitest-tmp (which a concurrent vitest run may wipe).
  let dir: string;
  let template: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-medic-readyz-"));
    template = path.join(dir, "template.db");
    await migrateDeploy(`file:${template}`);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  function createTestDb() {
    const file = path.join(dir, `${randomUUID()}.db`);
    fs.copyFileSync(template, file);
    const url = `file:${file}`;
    return { db: createDb(url), url };
  }

  it("is ready on a migrated database", async () => {
    const { db, url } = createTestDb();
    const running = await startServer({
      ...okDeps(createMetrics({ defaultMetrics: false })),
      checkDatabase: databaseCheck(db, url),
      checkMigrations: migrationsCheck(db),
      checkQueue: queueCheck(new SqliteQueue(db)),
    });
    try {
      const res = await fetch(`${running.base}/readyz`);
      const body = await res.json();
      expect(body).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok", queue: "ok" } });
      expect(res.status).toBe(200);
    } finally {
      await running.server.stop();
      await db.$disconnect();
    }
  });

  it("answers 503 naming the database when its file is missing, and does not create it", async () => {
    const file = path.join(dir, `missing-${randomUUID()}.db`);
    const url = `file:${file}`;
    const db = createDb(url);
    const running = await startServer({
      ...okDeps(createMetrics({ defaultMetrics: false })),
      checkDatabase: databaseCheck(db, url),
      checkMigrations: migrationsCheck(db),
      checkQueue: queueCheck(new SqliteQueue(db)),
    });
    try {
      const res = await fetch(`${running.base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: "not ready",
        checks: { database: "database missing or unreachable", migrations: "not checked", queue: "not checked" },
      });
      expect(fs.existsSync(file)).toBe(false);
      expect(running.lines.join("")).toContain("does not exist");
    } finally {
      await running.server.stop();
      await db.$disconnect();
    }
  });

  it("answers 503 naming the migrations on a database that was never migrated", async () => {
    const file = path.join(dir, `empty-${randomUUID()}.db`);
    fs.writeFileSync(file, "");
    const url = `file:${file}`;
    const db = createDb(url);
    const running = await startServer({
      ...okDeps(createMetrics({ defaultMetrics: false })),
      checkDatabase: databaseCheck(db, url),
      checkMigrations: migrationsCheck(db),
    });
    try {
      const res = await fetch(`${running.base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: "not ready",
        checks: { database: "ok", migrations: "migrations not applied", queue: "ok" },
      });
    } finally {
      await running.server.stop();
      await db.$disconnect();
    }
  });

  /** A Job row; `at` sets its claim or finish time (`updatedAt`, what the queue's health reads). */
  const jobRow = (key: string, over: Record<string, unknown>, at: Date) => ({
    kind: "diagnose-run",
    dedupeKey: key,
    installationId: 1,
    repository: "o/r",
    payload: "{}",
    runAt: new Date(Date.now() - 60 * 60_000),
    ...over,
    updatedAt: at,
  });
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

  async function readyz(db: ReturnType<typeof createDb>, url: string) {
    const running = await startServer({
      ...okDeps(createMetrics({ defaultMetrics: false })),
      checkDatabase: databaseCheck(db, url),
      checkMigrations: migrationsCheck(db),
      checkQueue: queueCheck(new SqliteQueue(db), { maxWaitMs: 15 * 60_000 }),
    });
    try {
      const res = await fetch(`${running.base}/readyz`);
      return { status: res.status, body: await res.json() };
    } finally {
      await running.server.stop();
      await db.$disconnect();
    }
  }

  it("is ready during a long backlog that moves: jobs due for an hour, but jobs started and finished minutes ago", async () => {
    const { db, url } = createTestDb();
    await db.job.create({ data: jobRow("waiting", {}, minutesAgo(60)) });
    await db.job.create({
      data: jobRow("finished", { state: "done", attempts: 1, finishedAt: minutesAgo(2) }, minutesAgo(2)),
    });
    expect(await readyz(db, url)).toEqual({
      status: 200,
      body: { status: "ready", checks: { database: "ok", migrations: "ok", queue: "ok" } },
    });
    const other = createTestDb();
    await other.db.job.create({ data: jobRow("waiting", {}, minutesAgo(60)) });
    await other.db.job.create({
      data: jobRow("started", { state: "running", attempts: 1, lockedBy: "w", lockedAt: new Date() }, minutesAgo(3)),
    });
    expect((await readyz(other.db, other.url)).status).toBe(200);
  });

  it("answers 503 naming the queue when a job has been due too long and no job has started or finished since", async () => {
    const { db, url } = createTestDb();
    await db.job.create({ data: jobRow("waiting", {}, minutesAgo(60)) });
    await db.job.create({
      data: jobRow("finished", { state: "done", attempts: 1, finishedAt: minutesAgo(40) }, minutesAgo(40)),
    });
    await db.job.create({
      data: jobRow("started", { state: "running", attempts: 1, lockedBy: "w", lockedAt: new Date() }, minutesAgo(20)),
    });
    expect(await readyz(db, url)).toEqual({
      status: 503,
      body: {
        status: "not ready",
        checks: {
          database: "ok",
          migrations: "ok",
          queue: "queue wedged: a job has been due for 60 min, and none has started or finished in the last 15 min",
        },
      },
    });
  });

  it("fails a check that does not answer in time", async () => {
    const running = await startServer({
      ...okDeps(createMetrics({ defaultMetrics: false })),
      checkDatabase: () => new Promise<void>(() => {}),
      checkTimeoutMs: 50,
    });
    try {
      const res = await fetch(`${running.base}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { checks: { database: string } }).checks.database).toBe(
        "database missing or unreachable",
      );
    } finally {
      await running.server.stop();
    }
  });
});
