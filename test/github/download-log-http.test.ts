import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadJobLog } from "../../src/github/download-log.js";
import { testOctokit } from "../helpers/github-mock.js";

// The same two hops over real loopback sockets (undici's own redirect handling, not nock's), with a GHES-style base
// URL: the API answers 302 to another origin, which must never see the installation token.

const seen: { server: string; url: string; authorization?: string }[] = [];
const logText = "##[group]Run npm test\nError: boom\n";

const logHost = http.createServer((req, res) => {
  seen.push({ server: "logs", url: req.url ?? "", authorization: req.headers.authorization });
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(logText);
});
const api = http.createServer((req, res) => {
  seen.push({ server: "api", url: req.url ?? "", authorization: req.headers.authorization });
  const port = (logHost.address() as AddressInfo).port;
  res.writeHead(302, { location: `http://127.0.0.1:${port}/signed/1?sig=abc` });
  res.end();
});

const listen = (s: http.Server) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
const close = (s: http.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

beforeAll(async () => {
  await listen(api);
  await listen(logHost);
});
afterAll(async () => {
  api.closeAllConnections();
  logHost.closeAllConnections();
  await close(api);
  await close(logHost);
});

describe("downloadJobLog over HTTP", () => {
  it("follows the redirect itself and sends no Authorization to the log host", async () => {
    const baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v3`;
    const result = await downloadJobLog(testOctokit({ baseUrl }), { owner: "o", repo: "r", jobId: 1 });
    if (result.kind !== "ok") throw new Error(result.kind);
    expect(Buffer.from(result.log).toString("utf8")).toBe(logText);
    expect(result).toMatchObject({ bytes: Buffer.byteLength(logText), truncated: false });
    expect(seen).toEqual([
      {
        server: "api",
        url: "/api/v3/repos/o/r/actions/jobs/1/logs",
        authorization: expect.stringMatching(/^token ghs_/),
      },
      { server: "logs", url: "/signed/1?sig=abc", authorization: undefined },
    ]);
  });
});
