import { generateKeyPairSync, randomUUID } from "node:crypto";
import pino from "pino";
import { Probot } from "probot";
import { createApp } from "../../src/app/index.js";
import type { LlmProvider } from "../../src/diagnosis/llm/provider.js";
import { githubOctokit } from "../../src/github/octokit.js";
import type { Settings } from "../../src/runtime.js";
import { createTestDb } from "./db.js";
import { checkWebhook, recordViolations } from "./github-conformance.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** Collects log lines, so tests can assert what was logged and that no secret ever was. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = { write: (line: string) => void this.lines.push(line) };
  get text(): string {
    return this.lines.join("");
  }
}

/**
 * A real Probot with ci-medic loaded on a fresh database, the worker driven by the test (`settle()`), and GitHub
 * reached only through nock.
 */
export async function testApp(opts: { llm?: LlmProvider | null; settings?: Partial<Settings> } = {}) {
  const { db, url } = createTestDb();
  const logs = new LogCapture();
  const log = pino({ level: "debug" }, logs.stream);
  const probot = new Probot({
    appId: 123,
    privateKey,
    secret: "test-secret",
    log,
    // The function form wins over the throttle options Probot adds per installation (writes 1 s apart otherwise).
    Octokit: githubOctokit().defaults((options: object) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
  const handle = createApp({
    db,
    databaseUrl: url,
    llm: opts.llm ?? null,
    settings: { appSlug: "ci-medic", ...opts.settings },
    startWorker: false,
  });
  await probot.load(handle.appFn);
  const rt = () => handle.runtime();
  return {
    probot,
    db,
    logs,
    runtime: rt,
    /** Delivers a webhook; its payload must match GitHub's webhook schema (checked like every mocked answer). */
    async receive(name: string, payload: object, id: string = randomUUID()) {
      recordViolations(checkWebhook(name, payload as Record<string, unknown>));
      await probot.receive({ id, name, payload } as never);
    },
    /** Runs every queued job to the end. */
    async settle() {
      await handle.worker().runUntilIdle();
    },
    async close() {
      rt().queue.close();
      await db.$disconnect();
    },
  };
}

export const TEST_PRIVATE_KEY = privateKey;
