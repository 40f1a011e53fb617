import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { TEST_PRIVATE_KEY } from "../helpers/app.js";
import { testDir } from "../helpers/db.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { failingJobLog } from "../helpers/logs.js";
import { workflowRunCompleted } from "../helpers/payloads.js";
import { freePort, SERVER_ENTRY, ServerProcess, serverEnv, waitFor } from "../helpers/server-process.js";

// What an operator meets: the built server as a child process, GitHub faked over HTTP (it delivers the webhooks,
// keeps the delivery log and redelivers on request, as GitHub does), restarts while deliveries arrive, and each
// configuration mistake stopping the start with a message that names it.

const SECRET = "operator-test-secret";
const RUNS = [71, 72, 73, 74];

describe("restarts while webhooks arrive", () => {
  const github = new FakeGitHub();
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.kill("SIGKILL");
    await github.stop();
  });

  it("a delivery during the drain is recorded, one during the downtime is redelivered at start: each run diagnosed once", async () => {
    await github.start();
    for (const run of RUNS) github.runs.set(run, [{ id: run * 10, name: `test-${run}`, log: failingJobLog(run) }]);
    const dir = fs.mkdtempSync(path.join(testDir(), "operator-"));
    const env = serverEnv(
      { dir, githubHost: github.host, secret: SECRET, privateKey: TEST_PRIVATE_KEY },
      { SHUTDOWN_DEADLINE_MS: "3000" },
    );
    const port = await freePort();
    github.webhookTarget = { url: `http://127.0.0.1:${port}/api/github/webhooks`, secret: SECRET };
    const event = (run: number) =>
      workflowRunCompleted({ runId: run, pr: run - 10, headSha: `${run}`.repeat(20), branch: `feature-${run}` });
    const comments = (run: number) => github.count("POST", new RegExp(`/issues/${run - 10}/comments$`));

    const first = new ServerProcess(env);
    servers.push(first);
    await first.start(port);
    expect(await github.deliver("workflow_run", event(71))).toBe(200);
    await waitFor(() => comments(71) === 1, 30_000, "run 71's comment");

    // Run 72's job holds its log download: SIGTERM drains for SHUTDOWN_DEADLINE_MS while webhooks keep coming.
    github.holdLogs = new Promise(() => {});
    expect(await github.deliver("workflow_run", event(72))).toBe(200);
    await waitFor(() => github.count("GET", /^\/blob\/logs\/720$/) > 0, 30_000, "run 72's log download");
    const exited = first.kill("SIGTERM");
    await waitFor(() => first.output.includes("shutting down"), 5_000, "the drain");
    expect(await github.deliver("workflow_run", event(73))).toBe(200); // recorded while draining
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: "stopping" }]);
    expect(await exited).toBe(0);

    // Down: GitHub's delivery fails to connect and is not retried by GitHub.
    expect(await github.deliver("workflow_run", event(74))).toBe(0);
    github.holdLogs = undefined;
    const lost = github.hookDeliveries[0]!;

    const second = new ServerProcess(env);
    servers.push(second);
    await second.start(port);
    await waitFor(() => RUNS.every((run) => comments(run) >= 1), 60_000, "a comment on every run");
    await new Promise((r) => setTimeout(r, 1_500)); // anything that would post twice, let it

    for (const run of RUNS) expect(comments(run), `run ${run}`).toBe(1);
    expect(github.count("POST", /\/check-runs$/)).toBe(RUNS.length);
    // Only the delivery that never reached ci-medic was redelivered, once.
    expect(
      github.requests.filter((r) => r.method === "POST" && r.path.startsWith("/app/hook/")).map((r) => r.path),
    ).toEqual([`/app/hook/deliveries/${lost.id}/attempts`]);
    expect(github.hookDeliveries[0]).toMatchObject({ guid: lost.guid, redelivery: true, status_code: 200 });
    const db = createDb(env.DATABASE_URL!);
    const jobs = await db.job.findMany({ where: { kind: "diagnose-run" }, select: { state: true, deliveryId: true } });
    await db.$disconnect();
    expect(jobs.map((j) => j.state)).toEqual(["done", "done", "done", "done"]);
    expect(new Set(jobs.map((j) => j.deliveryId)).size).toBe(RUNS.length);
    expect(second.output).toMatch(/asked GitHub to redeliver failed webhook deliveries/);
    expect(await second.kill("SIGTERM")).toBe(0);
  }, 180_000);
});

/** Starts the server and waits for it to exit (a refused configuration) or to answer /healthz. */
async function startOutcome(
  env: Record<string, string>,
  opts: { cwd?: string; uid?: number; gid?: number } = {},
): Promise<{ code: number | null; output: string; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: String(port), ...env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const healthy = (async (): Promise<"healthy" | undefined> => {
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) return undefined;
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return "healthy";
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  })();
  if ((await Promise.race([exited, healthy])) === "healthy") {
    child.kill("SIGTERM");
    await exited;
    return { code: null, output, port };
  }
  return { code: await exited, output, port };
}

describe("configuration mistakes stop the start with a message naming them", () => {
  let dir: string;
  const base = () =>
    serverEnv({ dir, githubHost: "127.0.0.1:9", secret: SECRET, privateKey: TEST_PRIVATE_KEY }, { LOG_LEVEL: "warn" });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(testDir(), "config-"));
    fs.chmodSync(dir, 0o755); // another user (the unwritable-folder case) must reach the folders inside
  });

  it("a private key that does not parse: exit 1, the variable named, the key never printed", async () => {
    const broken = TEST_PRIVATE_KEY.replace(/\n[A-Za-z0-9+/]{20}/, "\n");
    const { code, output } = await startOutcome({ ...base(), PRIVATE_KEY: broken });
    expect(code).toBe(1);
    expect(output).toContain("PRIVATE_KEY has PEM markers but is not a valid private key");
    expect(output).not.toContain(TEST_PRIVATE_KEY.split("\n")[2]);
  }, 60_000);

  it("a key and secret in literal quotes (docker run --env-file) are accepted", async () => {
    const { code, output } = await startOutcome({
      ...base(),
      PRIVATE_KEY: `"${TEST_PRIVATE_KEY.trim().replace(/\n/g, "\\n")}"`,
      WEBHOOK_SECRET: `"${SECRET}"`,
    });
    expect(code, output).toBeNull(); // it started
  }, 60_000);

  it("an invalid HOST: exit 1", async () => {
    const { code, output } = await startOutcome({ ...base(), HOST: "http://0.0.0.0" });
    expect(code).toBe(1);
    expect(output).toContain("HOST must be a host name or an IP address");
  }, 60_000);

  it("a database folder the process cannot write: exit 1, path and permission named", async () => {
    const locked = fs.mkdtempSync(path.join(dir, "locked-"));
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) fs.chmodSync(locked, 0o500);
    else fs.chmodSync(locked, 0o755); // root-owned: another user may not write it
    const { code, output } = await startOutcome(
      { ...base(), DATABASE_URL: `file:${path.join(locked, "db", "ci-medic.db")}` },
      asRoot ? { uid: 65534 } : {},
    );
    expect(code).toBe(1);
    expect(output).toContain(`DATABASE_URL: the database parent folder ${locked} is not writable (EACCES`);
  }, 60_000);

  it("the process environment wins over .env; a relative DATABASE_URL is one file for migrations and the app", async () => {
    const cwd = fs.mkdtempSync(path.join(dir, "cwd-"));
    fs.writeFileSync(path.join(cwd, ".env"), "PORT=1\nDATABASE_URL=file:./from-dotenv.db\nLOG_LEVEL=warn\n");
    const { DATABASE_URL: _ignored, ...env } = base();
    const { code, output, port } = await startOutcome({ ...env, DATABASE_URL: "file:./rel/ci-medic.db" }, { cwd });
    expect(code, output).toBeNull(); // listened on the environment's port, not .env's port 1
    expect(port).toBeGreaterThan(1);
    expect(fs.existsSync(path.join(cwd, "from-dotenv.db"))).toBe(false);
    const db = createDb(`file:${path.join(cwd, "rel", "ci-medic.db")}`);
    expect(await db.job.count()).toBeGreaterThanOrEqual(0); // migrated: the Job table exists in the app's file
    await db.$disconnect();
  }, 60_000);
});
