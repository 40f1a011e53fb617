import { generateKeyPairSync } from "node:crypto";
import http from "node:http";
import net from "node:net";
import pino from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithAnswerTimeout, githubClientOptions } from "../../src/github/client.js";
import { describeNetworkFailure, networkFailureOf } from "../../src/github/errors.js";
import { createMetrics } from "../../src/observability/metrics.js";

// GitHub out of reach, for real (sockets on loopback, no nock): each call fails within moments, is classified by its
// cause, and is counted as "network", not as the 500 Octokit dresses it in.

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function probot(baseUrl: string) {
  const metrics = createMetrics({ defaultMetrics: false });
  const app = new Probot({
    appId: 123,
    privateKey,
    baseUrl,
    log: pino({ level: "silent" }),
    ...githubClientOptions(metrics),
  });
  return { app, metrics };
}

async function failureOf(baseUrl: string) {
  const { app, metrics } = probot(baseUrl);
  const started = Date.now();
  const error = await app
    .auth(5)
    .then((octokit) => octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" }))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { error, ms: Date.now() - started, text: await metrics.render() };
}

describe("an unreachable GitHub", () => {
  // A plain HTTP server: a TLS client talking to it fails its handshake.
  const plain = http.createServer((_req, res) => res.end("{}"));
  let plainPort = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    plainPort = (plain.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => plain.close(resolve)));

  it("a refused connection fails the call at once (one attempt, no retries), labelled refused", async () => {
    const port = await closedPort();
    const { error, ms, text } = await failureOf(`http://127.0.0.1:${port}/api/v3`);
    expect(error).toMatchObject({ status: 500 });
    expect(networkFailureOf(error)).toBe("refused");
    expect(ms).toBeLessThan(3_000);
    expect(text).toContain('ci_medic_github_unreachable_total{reason="refused"} 1');
    expect(text).not.toContain("ci_medic_github_api_errors_total{");
  });

  it("a host name that does not resolve is a DNS failure", async () => {
    const { error, ms } = await failureOf("http://ci-medic-test.invalid/api/v3");
    expect(networkFailureOf(error)).toBe("dns");
    expect(ms).toBeLessThan(10_000);
  });

  it("a failed TLS handshake is a TLS failure", async () => {
    const { error, ms } = await failureOf(`https://127.0.0.1:${plainPort}/api/v3`);
    expect(networkFailureOf(error)).toBe("tls");
    expect(ms).toBeLessThan(3_000);
  });

  it("a server that accepts and never answers times out", async () => {
    const silent = net.createServer(() => {}); // holds every connection open, says nothing
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const fetch = fetchWithAnswerTimeout(200);
      const started = Date.now();
      const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(networkFailureOf(error)).toBe("timeout");
    } finally {
      silent.close();
    }
  });

  it("GitHub's own 502 is retried once; its 500 and a network failure are not retried", async () => {
    let hits = 0;
    let status = 502;
    const answering = http.createServer((_req, res) => {
      hits++;
      res.writeHead(status, { "content-type": "application/json" });
      res.end('{"message":"x"}');
    });
    await new Promise<void>((resolve) => answering.listen(0, "127.0.0.1", resolve));
    const { port } = answering.address() as net.AddressInfo;
    try {
      const { Octokit } = githubClientOptions(createMetrics({ defaultMetrics: false }));
      const octokit = new Octokit({ auth: { token: "ghs_test" }, baseUrl: `http://127.0.0.1:${port}/api/v3` });
      const get = () => octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" }).catch((e) => e);
      expect(await get()).toMatchObject({ status: 502 });
      expect(hits).toBe(2);
      status = 500;
      hits = 0;
      expect(await get()).toMatchObject({ status: 500 });
      expect(hits).toBe(1);
    } finally {
      answering.close();
    }
  });

  it("an answer GitHub sent, even a 500, is not a network failure; the words name the cause", () => {
    expect(networkFailureOf({ status: 500, response: { status: 500, headers: {} } })).toBeUndefined();
    expect(networkFailureOf(new Error("boom"))).toBeUndefined();
    expect(describeNetworkFailure("dns")).toBe("could not reach GitHub: its host name did not resolve (DNS)");
  });
});
