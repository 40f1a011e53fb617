import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { machineLine, writeSection } from "./report.js";

// Webhook acknowledgement latency and throughput of the real server on loopback, next to a bare Probot app that does
// nothing, in the same run. Target: p99 < 50 ms at 200 requests/s, within 1.5× of the bare app.

const here = path.dirname(fileURLToPath(import.meta.url));
const SECRET = "bench-secret";
const RATE = 200;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * GitHub for the worker: answers at once as a repository with no config, a run whose jobs list is empty, and accepts
 * every write, so each queued job runs to the end once and the server works as it would under real load.
 */
async function stubGitHub(): Promise<{ host: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? "";
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.method === "POST" && url.includes("/access_tokens")) {
      return json(201, { token: "ghs_bench", expires_at: new Date(Date.now() + 3600_000).toISOString() });
    }
    if (req.method === "GET" && /\/app$/.test(url))
      return json(200, { id: 1, slug: "ci-medic-bench", name: "ci-medic-bench" });
    if (req.method === "GET" && /\/actions\/runs\/\d+\/jobs/.test(url)) return json(200, { total_count: 0, jobs: [] });
    if (req.method === "GET" && /\/(issues|comments|labels)(\?|$)/.test(url)) return json(200, []);
    if (req.method === "POST" || req.method === "PATCH")
      return json(req.method === "POST" ? 201 : 200, { id: 1, number: 1, name: "ci-medic" });
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}

/** Server settings the bench may be run with (`WORKER_MODE=in-process node lib/bench/run.js webhook`). */
function passThrough(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
}

async function startServer(entry: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? "",
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      ...passThrough("WORKER_CONCURRENCY", "WORKER_MODE"),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: "GET" });
      await res.body?.cancel();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`${entry} did not start`);
}

function payload(runId: number): string {
  return JSON.stringify({
    action: "completed",
    installation: { id: 1 },
    repository: { full_name: "bench/repo", name: "repo", owner: { login: "bench" } },
    workflow_run: {
      id: runId,
      name: "CI",
      run_attempt: 1,
      conclusion: process.env.BENCH_CONCLUSION ?? "failure",
      head_branch: "main",
      head_sha: "a".repeat(40),
      workflow_id: 1,
      path: ".github/workflows/ci.yml",
      event: "push",
      html_url: `https://github.com/bench/repo/actions/runs/${runId}`,
      pull_requests: [],
      repository: { id: 1, full_name: "bench/repo", name: "repo", owner: { login: "bench" } },
      actor: { login: "dev", type: "User" },
      triggering_actor: { login: "dev", type: "User" },
      head_repository: { id: 1, full_name: "bench/repo" },
    },
  });
}

// One sequence for every load of the run: a run id seen before would be a duplicate delivery, not new work.
let runId = 1;

async function load(port: number, rate: number | undefined, seconds = SECONDS): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    connections: 20,
    duration: seconds,
    overallRate: rate,
    requests: [
      {
        method: "POST",
        setupRequest: (req: autocannon.Request) => {
          const body = payload(runId++);
          return {
            ...req,
            body,
            headers: {
              "content-type": "application/json",
              "x-github-event": "workflow_run",
              "x-github-delivery": randomUUID(),
              "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
            },
          };
        },
      },
    ],
  });
}

function row(name: string, r: autocannon.Result): string {
  const ok = r["2xx"];
  return `| ${name} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.requests.average.toFixed(0)} | ${ok} | ${r.non2xx + r.errors} |`;
}

export async function runWebhookBench(): Promise<string> {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const github = await stubGitHub();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-medic-bench-"));
  const env = {
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    DATABASE_URL: `file:${path.join(dir, "bench.db")}`,
  };
  const results: string[] = [];
  const summary: Record<string, autocannon.Result> = {};
  try {
    for (const [name, entry] of [
      ["bare Probot app", path.join(here, "bare-app.js")],
      ["ci-medic", path.join(here, "..", "server.js")],
    ] as const) {
      const port = await freePort();
      const child = await startServer(entry, port, env);
      try {
        // A short, gentle warm-up (JIT, SQLite pages).
        await load(port, 50, 2).catch(() => undefined);
        const fixed = await load(port, RATE);
        const max = await load(port, undefined);
        summary[name] = fixed;
        results.push(row(`${name} @ ${RATE} req/s`, fixed), row(`${name} @ max`, max));
      } finally {
        child.kill("SIGTERM");
      }
    }
  } finally {
    github.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const ours = summary["ci-medic"]!;
  const bare = summary["bare Probot app"]!;
  const ratio = ours.latency.p99 / Math.max(1, bare.latency.p99);
  return [
    "## Webhook acknowledgement (`src/bench/webhook.ts`)",
    "",
    machineLine(),
    "",
    `Signed \`workflow_run.completed\` failures (a new run id and delivery id each) posted over loopback with autocannon, 20 connections, ${SECONDS} s per row, after a 2 s warm-up at 50 req/s; the fixed-rate row comes first. autocannon's fixed rate is per connection and per second, so each second starts with a burst, and its latencies are corrected for coordinated omission: one slow answer weighs as much as the requests it held up. ci-medic (${process.env.WORKER_MODE ?? "thread"} mode) records the delivery as its job (one SQLite statement) before answering; meanwhile its ${process.env.WORKER_MODE === "in-process" ? "worker" : "job thread"} works through the queue against a stub GitHub on loopback (no failed jobs in the run, every write accepted; Probot paces writes to one a second, as GitHub asks, so the queue grows during the rows), so the acknowledgements compete with real work.`,
    "",
    "| server | p50 ms | p99 ms | max ms | req/s | 2xx | errors |",
    "|---|---|---|---|---|---|---|",
    ...results,
    "",
    `p99 at ${RATE} req/s: ci-medic ${ours.latency.p99} ms vs bare ${bare.latency.p99} ms (${ratio.toFixed(2)}×). Targets: p99 < 50 ms → ${ours.latency.p99 < 50 ? "met" : "NOT met"}; within 1.5× of bare → ${ratio <= 1.5 ? "met" : "NOT met"}.`,
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const md = await runWebhookBench();
  writeSection("webhook", md);
  console.log(md);
}
