import nock from "nock";
import pino from "pino";
import { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GITHUB_ANSWER_TIMEOUT_MS, githubClientOptions } from "../../src/github/client.js";
import { networkFailureOf } from "../../src/github/errors.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { TEST_PRIVATE_KEY } from "../helpers/app.js";
import { installationToken } from "../helpers/github-objects.js";

// The installation-token request waits for GitHub's answer no longer than any other call, in the server's own set-up
// (WORKER_MODE=in-process runs the jobs there): Probot's run() is given only the Octokit class, not a `request`
// option, and Probot's app authentication makes its token requests with a request of its own.

const TOKEN_PATH = "/app/installations/5/access_tokens";

/** The server's Probot as Probot's run() builds it (src/server.ts hands it the Octokit class and nothing else). */
function serverProbot() {
  const metrics = createMetrics({ defaultMetrics: false });
  const ServerProbot = Probot.defaults({
    appId: 123,
    privateKey: TEST_PRIVATE_KEY,
    log: pino({ level: "silent" }),
    Octokit: githubClientOptions(metrics).Octokit,
  });
  return { app: new ServerProbot(), metrics };
}

/**
 * Once GitHub has the token request, lets fake time run to just before the answer timeout (the call must still wait),
 * then past it: the call must then fail at once, long before GitHub's answer a minute later.
 */
async function failsAtTheTimeout(call: Promise<unknown>, asked: Promise<void>): Promise<unknown> {
  let outcome: { error: unknown } | { value: unknown } | undefined;
  void call.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  await vi.waitFor(() => asked, { timeout: 5_000 });
  await vi.advanceTimersByTimeAsync(GITHUB_ANSWER_TIMEOUT_MS - 1);
  expect(outcome).toBeUndefined();
  await vi.advanceTimersByTimeAsync(2);
  await vi.waitFor(() => expect(outcome).toBeDefined(), { timeout: 5_000 });
  expect(outcome).toHaveProperty("error");
  return (outcome as { error: unknown }).error;
}

describe("the installation-token request, GitHub slow to answer", () => {
  let asked: Promise<void>;
  beforeEach(() => {
    nock.disableNetConnect();
    // GitHub's (nock's) delay and the answer timeout both run on this clock: a minute passes in moments.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    asked = new Promise((resolve) =>
      nock("https://api.github.com")
        .post(TOKEN_PATH)
        .delay(60_000)
        .reply(201, installationToken("ghs_slow"))
        .on("request", () => resolve()),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
    nock.cleanAll();
  });

  it("a job's first call, which asks for the token, gives up after the answer timeout, counted as a timeout", async () => {
    const { app, metrics } = serverProbot();
    const octokit = await app.auth(5);
    const call = octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" });
    const error = await failsAtTheTimeout(call, asked);
    expect(networkFailureOf(error)).toBe("timeout");
    expect(String(error)).toContain(`GitHub did not answer within ${GITHUB_ANSWER_TIMEOUT_MS} ms`);
    expect(await metrics.render()).toContain('ci_medic_github_unreachable_total{reason="timeout"} 1');
  });

  it("a token asked for directly (Probot's own request, not the Octokit class's) gives up the same way", async () => {
    const { app, metrics } = serverProbot();
    const appOctokit = await app.auth();
    const token = appOctokit.auth({ type: "installation", installationId: 5 }) as Promise<unknown>;
    expect(networkFailureOf(await failsAtTheTimeout(token, asked))).toBe("timeout");
    expect(await metrics.render()).toContain('ci_medic_github_unreachable_total{reason="timeout"} 1');
  });
});
