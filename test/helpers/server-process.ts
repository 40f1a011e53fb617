import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { checkWebhook, recordViolations } from "./github-conformance.js";

export const SERVER_ENTRY = path.resolve("lib", "server.js");

/** The environment of a real server whose GitHub is `githubHost` (an HTTP fake on loopback) and whose database lives in `dir`. */
export function serverEnv(
  opts: { dir: string; githubHost: string; secret: string; privateKey: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    APP_ID: "123",
    PRIVATE_KEY: opts.privateKey,
    WEBHOOK_SECRET: opts.secret,
    DATABASE_URL: `file:${path.join(opts.dir, "ci-medic.db")}`,
    GHE_HOST: opts.githubHost,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
    NODE_ENV: "production",
    ...extra,
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** The built server (`node lib/server.js`, what `npm start` and the Docker image run) as a child process. */
export class ServerProcess {
  child: ChildProcess | undefined;
  output = "";

  constructor(
    private readonly env: Record<string, string>,
    private readonly opts: { cwd?: string } = {},
  ) {}

  async start(port: number, timeoutMs = 60_000): Promise<void> {
    if (!fs.existsSync(SERVER_ENTRY))
      throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first (npm test does)`);
    this.child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { PATH: process.env.PATH ?? "", ...this.env, PORT: String(port), HOST: "127.0.0.1" },
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`server exited with ${this.child.exitCode}:\n${this.output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error(`server did not become healthy:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }
}

export function signedWebhook(secret: string, event: string, payload: object, delivery: string) {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": delivery,
      "x-hub-signature-256": signature,
    },
    body,
  };
}

/** Delivers a signed webhook to the server on `port`, under a new delivery id. */
/** Delivers a signed webhook; its payload must match GitHub's webhook schema (the test fails otherwise). */
export function deliverWebhook(port: number, secret: string, event: string, payload: object): Promise<Response> {
  recordViolations(checkWebhook(event, payload as Record<string, unknown>));
  return fetch(`http://127.0.0.1:${port}/api/github/webhooks`, signedWebhook(secret, event, payload, randomUUID()));
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
