import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { TEST_PRIVATE_KEY } from "../helpers/app.js";
import { testDir } from "../helpers/db.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { failingJobLog } from "../helpers/logs.js";
import { workflowRunCompleted } from "../helpers/payloads.js";
import { deliverWebhook, freePort, ServerProcess, serverEnv, waitFor } from "../helpers/server-process.js";

// The built server (lib/server.js) with its jobs in the job thread: what the thread counts shows up on the main
// thread's /metrics, and SIGTERM lets a running job finish, or releases it at the deadline, before exiting 0.

const SECRET = "job-thread-test-secret";
describe("the job thread in the server", () => {
  const github = new FakeGitHub();
  let server: ServerProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    await github.start();
    for (const run of [31, 32, 33, 34])
      github.runs.set(run, [{ id: run * 10, name: `test-${run}`, log: failingJobLog(run) }]);
  });
  afterEach(async () => {
    github.holdLogs = undefined;
    await server?.kill("SIGKILL");
  });
  afterAll(async () => {
    await github.stop();
  });

  async function start(extra: Record<string, string> = {}) {
    dir = fs.mkdtempSync(path.join(testDir(), "thread-"));
    const env = serverEnv({ dir, githubHost: github.host, secret: SECRET, privateKey: TEST_PRIVATE_KEY }, extra);
    const port = await freePort();
    server = new ServerProcess(env);
    await server.start(port);
    return { port, url: env.DATABASE_URL };
  }

  async function deliver(port: number, run: number, pr: number) {
    const payload = workflowRunCompleted({
      runId: run,
      pr,
      headSha: `${run}`.repeat(20).slice(0, 40),
      branch: `feature-${run}`,
    });
    const res = await deliverWebhook(port, SECRET, "workflow_run", payload);
    expect(res.status).toBeLessThan(300);
  }

  it("a metric counted by a job in the thread is on the main thread's /metrics, next to the main thread's own", async () => {
    const { port } = await start();
    await deliver(port, 31, 51);
    await waitFor(() => github.count("POST", /\/issues\/51\/comments$/) === 1, 30_000, "the comment");
    await waitFor(
      async () =>
        /job_duration_seconds_count\{kind="diagnose-run",outcome="done"\} 1/.test(
          await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
        ),
      10_000,
      "the job's metrics",
    );
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('ci_medic_diagnosis_fallbacks_total{reason="no_provider"} 1'); // counted in the thread
    expect(text).toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="enqueued"} 1'); // main thread
    expect(text).toMatch(/ci_medic_jobs\{state="done"\} [12]\n/); // and the start-up's delivery recovery, when done
    expect(server!.output).toMatch(/"msg":"job thread started"/);
    // One family per metric, and the process metrics once (they are the main thread's).
    expect(text.match(/^# TYPE ci_medic_diagnosis_fallbacks_total counter$/gm)).toHaveLength(1);
    expect(text.match(/^ci_medic_process_start_time_seconds /gm)).toHaveLength(1);
    expect(server!.output).not.toContain(SECRET);
    expect(server!.output).not.toContain(TEST_PRIVATE_KEY.split("\n")[1]);
  }, 60_000);

  it("WORKER_MODE=in-process: the same jobs run beside the webhook server, without a thread", async () => {
    const { port } = await start({ WORKER_MODE: "in-process" });
    await deliver(port, 34, 54);
    await waitFor(() => github.count("POST", /\/issues\/54\/comments$/) === 1, 30_000, "the comment");
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('ci_medic_diagnosis_fallbacks_total{reason="no_provider"} 1');
    expect(server!.output).not.toMatch(/job thread started/);
    expect(await server!.kill("SIGTERM")).toBe(0);
  }, 60_000);

  it("SIGTERM: a running job may finish within the deadline, then the process exits 0", async () => {
    let release!: () => void;
    github.holdLogs = new Promise<void>((resolve) => (release = resolve));
    const { port, url } = await start({ SHUTDOWN_DEADLINE_MS: "20000" });
    await deliver(port, 32, 52);
    await waitFor(() => github.count("GET", /^\/blob\/logs\/320$/) > 0, 30_000, "the log download");
    const exited = server!.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    release();
    expect(await exited).toBe(0);
    expect(github.count("POST", /\/issues\/52\/comments$/)).toBe(1);
    const db = createDb(url);
    expect(await db.job.findMany({ where: { kind: "diagnose-run" }, select: { state: true } })).toEqual([
      { state: "done" },
    ]);
    await db.$disconnect();
    expect(server!.output).toMatch(/shutting down/);
    expect(server!.output).toMatch(/"msg":"stopped"/);
  }, 60_000);

  it("SIGTERM: a job still running at the deadline goes back to the queue untouched, and the process exits 0", async () => {
    github.holdLogs = new Promise<void>(() => {}); // never answers
    const checkRunsBefore = github.count("POST", /\/check-runs$/);
    const { port, url } = await start({ SHUTDOWN_DEADLINE_MS: "500" });
    await deliver(port, 33, 53);
    await waitFor(() => github.count("GET", /^\/blob\/logs\/330$/) > 0, 30_000, "the log download");
    expect(await server!.kill("SIGTERM")).toBe(0);
    const db = createDb(url);
    expect(
      await db.job.findMany({
        where: { kind: "diagnose-run" },
        select: { state: true, attempts: true, lockedBy: true },
      }),
    ).toEqual([{ state: "queued", attempts: 0, lockedBy: null }]);
    await db.$disconnect();
    expect(server!.output).toMatch(/released unfinished jobs back to the queue/);
    expect(github.count("POST", /\/check-runs$/)).toBe(checkRunsBefore);
  }, 60_000);
});
