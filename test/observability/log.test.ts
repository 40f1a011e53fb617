import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import { Probot, Server } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorText } from "../../src/logs/redact.js";
import { createLog, scrubbedError } from "../../src/observability/log.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { registerRoutes } from "../../src/observability/routes.js";
import { freePort } from "../helpers/server-process.js";

// Probot's HTTP logger writes each request with its headers: the app's logger must censor them.

const TEST_PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();
const TOKEN = "metrics-token-0123456789abcdef";

describe("request logs", () => {
  const lines: string[] = [];
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = await createLog({ level: "info", logFormat: "json", destination });
    server = new Server({
      Probot: Probot.defaults({ appId: 1, privateKey: TEST_PRIVATE_KEY, secret: "s", log }),
      host: "127.0.0.1",
      port: await freePort(),
      log,
    });
    const metrics = createMetrics({ defaultMetrics: false });
    await server.load((_app, options) =>
      registerRoutes(options, {
        metrics,
        metricsToken: TOKEN,
        checkDatabase: async () => {},
        checkMigrations: async () => {},
        checkQueue: async () => ({ wedged: false }),
      }),
    );
    await server.start();
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
  });

  it("never contain the metrics token or a cookie, at the default level", async () => {
    const res = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}`, cookie: "session=cookie-secret-value" },
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const http = lines.map((l) => JSON.parse(l) as { name?: string; req?: { headers?: Record<string, string> } });
    const request = http.find((l) => l.req?.headers);
    expect(request?.req?.headers?.authorization).toBe("[REDACTED]");
    expect(request?.req?.headers?.cookie).toBe("[REDACTED]");
    expect(lines.join("")).not.toContain(TOKEN);
    expect(lines.join("")).not.toContain("cookie-secret-value");
  });
});

describe("error texts", () => {
  const token = `ghp_${"a1B2c3".repeat(6)}`;
  it("are scrubbed before they are logged", () => {
    const out = scrubbedError(new Error(`Bad credentials for ${token}`)) as { message: string; stack: string };
    expect(out.message).toBe("Bad credentials for [REDACTED:github-token]");
    expect(out.stack).not.toContain(token);
  });

  it("are scrubbed before they are stored", () => {
    const error = new TypeError(`model said: use sk_live_${"4eC39Hq".repeat(4)}`);
    expect(errorText(error)).toBe("TypeError: model said: use [REDACTED:stripe-key]");
  });
});
