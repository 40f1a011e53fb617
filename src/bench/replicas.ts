import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { machineLine } from "./report.js";

// Diagnoses per minute of the real server (lib/server.js) against an HTTP fake GitHub on loopback, several
// installations: SQLite in one process, then PostgreSQL with one and with two replicas, in the same run.

const here = path.dirname(fileURLToPath(import.meta.url));
const SECRET = "bench-secret";
const RUNS = Number(process.env.BENCH_RUNS ?? 60);
const INSTALLATIONS = Number(process.env.BENCH_INSTALLATIONS ?? 6);
const PG_URL = process.env.BENCH_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const LOG = [
  "2026-11-23T08:00:05.0000000Z ##[group]Run npm test",
  "2026-11-23T08:00:05.1000000Z ##[endgroup]",
  "2026-11-23T08:00:08.1000000Z  FAIL  src/sum.test.ts > sum > adds two numbers",
  "2026-11-23T08:00:08.1000000Z AssertionError: expected 3 to be 4 // Object.is equality",
  "2026-11-23T08:00:08.1000000Z  ❯ src/sum.test.ts:6:23",
  "2026-11-23T08:00:08.3000000Z ##[error]Process completed with exit code 1.",
].join("\n");

/** GitHub as the diagnosis sees it: every run has one failed job with a vitest log; comments are counted. */
async function fakeGitHub(): Promise<{ host: string; comments: () => number; close: () => void }> {
  let comments = 0;
  let nextId = 100;
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "").replace(/^\/api\/v3/, "");
    const method = req.method ?? "GET";
    const json = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    req.resume();
    const runJobs = method === "GET" ? url.match(/\/actions\/runs\/(\d+)\/jobs/) : null;
    const jobLogs = method === "GET" ? url.match(/\/actions\/jobs\/(\d+)\/logs$/) : null;
    if (method === "POST" && url.includes("/access_tokens"))
      return json(201, { token: "ghs_bench", expires_at: new Date(Date.now() + 3600_000).toISOString() });
    if (method === "GET" && url === "/app") return json(200, { id: 1, slug: "ci-medic", name: "ci-medic" });
    if (runJobs) {
      const run = Number(runJobs[1]);
      return json(200, {
        total_count: 1,
        jobs: [
          {
            id: run * 10,
            run_id: run,
            name: "test",
            status: "completed",
            conclusion: "failure",
            html_url: `https://github.com/bench/repo/actions/runs/${run}/job/${run * 10}`,
            steps: [{ name: "Run npm test", status: "completed", conclusion: "failure", number: 1 }],
          },
        ],
      });
    }
    if (jobLogs) return json(302, undefined, { location: `http://${host}/blob/logs/${jobLogs[1]}` });
    if (method === "GET" && url.startsWith("/blob/logs/")) {
      res.writeHead(200, { "content-type": "text/plain" });
      return void res.end(LOG);
    }
    if (method === "GET" && /\/contents\//.test(url)) return json(404, { message: "Not Found" });
    if (method === "GET" && /\/commits\/\w+\/check-runs/.test(url))
      return json(200, { total_count: 0, check_runs: [] });
    if (method === "GET" && /\/(pulls|comments|issues|commits\/\w+\/pulls)(\?|$)/.test(url)) return json(200, []);
    if (method === "POST" && /\/issues\/\d+\/comments$/.test(url)) {
      comments++;
      return json(201, { id: nextId++, body: "", user: { login: "ci-medic[bot]", type: "Bot" } });
    }
    if (method === "POST" || method === "PATCH")
      return json(method === "POST" ? 201 : 200, { id: nextId++, number: 1 });
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { host, comments: () => comments, close: () => server.close() };
}

function delivery(run: number): { body: string; headers: Record<string, string> } {
  const sha = `${run}`.padStart(40, "a").slice(0, 40);
  const repo = { id: 1, full_name: "bench/repo", name: "repo", owner: { login: "bench" }, default_branch: "main" };
  const body = JSON.stringify({
    action: "completed",
    installation: { id: 1 + (run % INSTALLATIONS) },
    repository: repo,
    workflow_run: {
      id: run,
      name: "CI",
      run_attempt: 1,
      conclusion: "failure",
      head_branch: `f-${run}`,
      head_sha: sha,
      workflow_id: 1,
      path: ".github/workflows/ci.yml",
      event: "pull_request",
      html_url: `https://github.com/bench/repo/actions/runs/${run}`,
      pull_requests: [
        {
          id: run,
          number: run,
          head: { ref: `f-${run}`, sha, repo },
          base: { ref: "main", sha: "b".repeat(40), repo },
        },
      ],
      repository: repo,
      head_repository: repo,
      actor: { login: "dev", type: "User" },
      triggering_actor: { login: "dev", type: "User" },
    },
  });
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "workflow_run",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startServer(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(here, "..", "server.js")], {
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("the server did not become ready");
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Scenario {
  name: string;
  replicas: number;
  postgres: boolean;
}

interface Result {
  scenario: Scenario;
  seconds: number;
  perMinute: number;
}

let nextRun = 1;

async function measure(scenario: Scenario, base: Record<string, string>, dir: string): Promise<Result> {
  const github = await fakeGitHub();
  const database = `ci_medic_bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  if (scenario.postgres) await admin(`CREATE DATABASE ${database}`);
  const env = {
    ...base,
    GHE_HOST: github.host,
    DATABASE_URL: scenario.postgres ? url.toString() : `file:${path.join(dir, `${database}.db`)}`,
  };
  const children: ChildProcess[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < scenario.replicas; i++) {
      const port = await freePort();
      children.push(await startServer(port, env));
      ports.push(port);
    }
    const first = nextRun;
    nextRun += RUNS;
    const started = Date.now();
    for (let i = 0; i < RUNS; i++) {
      const { body, headers } = delivery(first + i);
      const res = await fetch(`http://127.0.0.1:${ports[i % ports.length]}/api/github/webhooks`, {
        method: "POST",
        headers,
        body,
      });
      if (res.status >= 300) throw new Error(`webhook answered ${res.status}`);
    }
    while (github.comments() < RUNS) {
      if (Date.now() - started > 15 * 60_000) throw new Error(`only ${github.comments()} of ${RUNS} diagnoses posted`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - started) / 1000;
    return { scenario, seconds, perMinute: (RUNS / seconds) * 60 };
  } finally {
    await Promise.all(children.map(stop));
    github.close();
    if (scenario.postgres) await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

export async function runReplicasBench(): Promise<string> {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-medic-bench-replicas-"));
  const base = {
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    APP_SLUG: "ci-medic",
  };
  const scenarios: Scenario[] = [
    { name: "SQLite, one process", replicas: 1, postgres: false },
    { name: "PostgreSQL (pg-boss), one replica", replicas: 1, postgres: true },
    { name: "PostgreSQL (pg-boss), two replicas", replicas: 2, postgres: true },
  ];
  const results: Result[] = [];
  try {
    for (const scenario of scenarios) results.push(await measure(scenario, base, dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const sqlite = results[0]!.perMinute;
  return [
    "## Diagnoses per minute, one and two replicas (`src/bench/replicas.ts`)",
    "",
    machineLine(),
    "",
    `${RUNS} failed runs (one failed job each, a short vitest log) of ${INSTALLATIONS} installations, delivered as fast as the servers acknowledge them (round robin over the replicas); the time runs from the first delivery to the last diagnosis comment posted. GitHub is an HTTP fake on loopback that answers at once. Default settings: \`WORKER_CONCURRENCY=2\` per replica, \`PER_INSTALLATION_CONCURRENCY=1\` (across the replicas on PostgreSQL), thread mode, no LLM (the deterministic diagnosis), no \`REDIS_URL\`: each process paces its writes to GitHub (one a second per installation, as Probot does). The machine was shared with other work while this ran: compare the rows with each other, not with another run.`,
    "",
    "| server | time | diagnoses/min | vs SQLite |",
    "|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.scenario.name} | ${r.seconds.toFixed(1)} s | ${r.perMinute.toFixed(0)} | ${(r.perMinute / sqlite).toFixed(2)}× |`,
    ),
    "",
  ].join("\n");
}
