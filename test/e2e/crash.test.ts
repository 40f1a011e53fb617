import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PRIVATE_KEY } from "../helpers/app.js";
import { testDir } from "../helpers/db.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { failingJobLog } from "../helpers/logs.js";
import { workflowRunCompleted } from "../helpers/payloads.js";
import { deliverWebhook, freePort, ServerProcess, serverEnv, waitFor } from "../helpers/server-process.js";

// The real server as a child process, GitHub faked over HTTP on loopback, SIGKILL in the middle of a job, a restart on
// the same database: every failure is diagnosed exactly once (one check run and one comment each, nothing missing).

const SECRET = "crash-test-secret";
const RUNS = [11, 12, 13];
describe("crash and restart", () => {
  const github = new FakeGitHub();
  let dir: string;
  let env: Record<string, string>;
  let first: ServerProcess;
  let second: ServerProcess;

  beforeAll(async () => {
    await github.start();
    dir = fs.mkdtempSync(path.join(testDir(), "crash-"));
    // A short lease: the killed process's job is taken back once its lease runs out (a minute by default).
    env = serverEnv(
      { dir, githubHost: github.host, secret: SECRET, privateKey: TEST_PRIVATE_KEY },
      { JOB_LEASE_SECONDS: "3" },
    );
    for (const run of RUNS) github.runs.set(run, [{ id: run * 10, name: `test-${run}`, log: failingJobLog(run) }]);
  });

  afterAll(async () => {
    await first?.kill("SIGKILL");
    await second?.kill("SIGKILL");
    await github.stop();
  });

  it("diagnoses every failure exactly once across a SIGKILL", async () => {
    let release!: () => void;
    github.holdLogs = new Promise<void>((resolve) => (release = resolve));
    const port = await freePort();
    first = new ServerProcess(env);
    await first.start(port);

    for (const [i, run] of RUNS.entries()) {
      const payload = workflowRunCompleted({
        runId: run,
        pr: 40 + i,
        headSha: `${i}`.repeat(40),
        branch: `feature-${i}`,
      });
      const res = await deliverWebhook(port, SECRET, "workflow_run", payload);
      expect(res.status).toBeLessThan(300);
    }
    // A job is in the middle of downloading its log: kill the process there.
    await waitFor(() => github.count("GET", /^\/blob\/logs\//) > 0, 30_000, "a log download");
    await first.kill("SIGKILL");
    expect(github.count("POST", /\/check-runs$/)).toBe(0);

    release();
    github.holdLogs = undefined;
    second = new ServerProcess(env);
    await second.start(port);
    await waitFor(() => github.count("POST", /\/issues\/\d+\/comments$/) >= RUNS.length, 60_000, "three comments");
    // Let anything that would post twice do so before counting.
    await new Promise((r) => setTimeout(r, 1_500));

    expect(github.count("POST", /\/check-runs$/)).toBe(RUNS.length);
    expect(github.count("POST", /\/issues\/\d+\/comments$/)).toBe(RUNS.length);
    const commented = github.requests
      .filter((r) => r.method === "POST" && /\/comments$/.test(r.path))
      .map((r) => r.path)
      .sort();
    expect(commented).toEqual([
      "/repos/octo-org/octo-repo/issues/40/comments",
      "/repos/octo-org/octo-repo/issues/41/comments",
      "/repos/octo-org/octo-repo/issues/42/comments",
    ]);
    for (const check of github.state.checkRuns.values()) {
      expect(check.name).toBe("ci-medic");
      expect(check.conclusion).toBe("neutral");
    }
    const code = await second.kill("SIGTERM");
    expect(code).toBe(0);
  }, 180_000);
});
