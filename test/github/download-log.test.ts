import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { downloadJobLog, readTail, TailBuffer } from "../../src/github/download-log.js";
import { RateLimitedError } from "../../src/github/errors.js";
import { LOG_HOST, mockGitHub, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };
const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("downloadJobLog", () => {
  it("follows the 302 to the log host without sending the token there", async () => {
    const log =
      "2026-11-23T08:00:00Z ##[group]Run npm test\nFAIL src/sum.test.ts\n##[error]Process completed with exit code 1.\n";
    const gh = mockGitHub(repo).hasJobLog(1, log);
    const result = await downloadJobLog(testOctokit(), { ...repo, jobId: 1 });
    if (result.kind !== "ok") throw new Error(result.kind);
    expect(utf8(result.log)).toBe(log);
    expect(result).toMatchObject({ bytes: Buffer.byteLength(log), truncated: false });
    gh.done();
    expect(gh.requests.map((r) => [r.method, r.host])).toEqual([
      ["GET", "api.github.com"],
      ["GET", new URL(LOG_HOST).host],
    ]);
    expect(gh.requests[0]!.headers.authorization).toMatch(/^token /);
    expect(gh.requests[1]!.headers.authorization).toBeUndefined();
  });

  it("keeps the tail of a log over the cap and says how much was cut", async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${String(i).padStart(5, "0")} ${"x".repeat(40)}`);
    const log = `${lines.join("\n")}\n##[error]the real failure\n`;
    const gh = mockGitHub(repo).hasJobLog(7, log, { chunkSize: 1000 });
    const result = await downloadJobLog(testOctokit(), { ...repo, jobId: 7 }, { maxBytes: 10_000 });
    gh.done();
    if (result.kind !== "ok") throw new Error(result.kind);
    expect(result.truncated).toBe(true);
    expect(result.bytes).toBe(Buffer.byteLength(log));
    const [note, ...rest] = utf8(result.log).split("\n");
    const kept = rest.join("\n");
    expect(note).toBe(
      `[ci-medic: the first ${Buffer.byteLength(log) - Buffer.byteLength(kept)} bytes of this ${Buffer.byteLength(log)}-byte log were cut; only its last part is shown]`,
    );
    expect(log.endsWith(kept)).toBe(true);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(10_000);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(9_900);
    expect(kept.startsWith("line ")).toBe(true); // cut on a line boundary
    expect(kept.endsWith("##[error]the real failure\n")).toBe(true);
  });

  it("reports a 404 from the API as an expired log instead of throwing", async () => {
    const gh = mockGitHub(repo).hasExpiredLog(2);
    await expect(downloadJobLog(testOctokit(), { ...repo, jobId: 2 })).resolves.toEqual({ kind: "expired" });
    gh.done();
  });

  it("reports a signed URL that answers 404 as not-found", async () => {
    nock("https://api.github.com")
      .get("/repos/Codertocat/Hello-World/actions/jobs/4/logs")
      .reply(302, "", { location: `${LOG_HOST}/logs/4?sig=abc` });
    nock(LOG_HOST).get("/logs/4").query(true).reply(404, "gone");
    await expect(downloadJobLog(testOctokit(), { ...repo, jobId: 4 })).resolves.toEqual({ kind: "not-found" });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("does not put the signed URL in the error when the log host fails", async () => {
    nock("https://api.github.com")
      .get("/repos/Codertocat/Hello-World/actions/jobs/5/logs")
      .reply(302, "", { location: `${LOG_HOST}/logs/5?sig=SECRET_SIGNATURE` });
    nock(LOG_HOST).get("/logs/5").query(true).reply(500, "boom");
    const error = await downloadJobLog(testOctokit(), { ...repo, jobId: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain("SECRET_SIGNATURE");
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("throws RateLimitedError carrying x-ratelimit-reset on a rate-limited 403", async () => {
    const reset = 1_900_000_000;
    const gh = mockGitHub(repo).isRateLimited("GET", "/actions/jobs/6/logs", {
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(reset),
    });
    const error = await downloadJobLog(testOctokit(), { ...repo, jobId: 6 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAt.toISOString()).toBe(new Date(reset * 1000).toISOString());
    gh.done();
  });
});

describe("readTail", () => {
  const streamOf = (parts: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });

  it("never starts the kept text inside a multi-byte character", async () => {
    // No newline near the cut: the start moves past UTF-8 continuation bytes instead.
    const text = "é".repeat(3000); // 2 bytes each
    const bytes = new TextEncoder().encode(text);
    const parts = [bytes.subarray(0, 1001), bytes.subarray(1001, 4001), bytes.subarray(4001)];
    const result = await readTail(streamOf(parts), 999);
    const kept = utf8(result.log).split("\n")[1]!;
    expect(kept).toBe("é".repeat(499));
    expect(utf8(result.log)).not.toContain("\uFFFD");
  });

  it("returns short logs whole", async () => {
    const result = await readTail(streamOf([new TextEncoder().encode("a\nb\n")]), 100);
    expect(utf8(result.log)).toBe("a\nb\n");
    expect(result).toMatchObject({ bytes: 4, truncated: false });
  });
});

describe("TailBuffer", () => {
  it("never holds more than maxBytes plus one chunk, and keeps exactly the last maxBytes", () => {
    const tail = new TailBuffer(1000);
    let peak = 0;
    const all: number[] = [];
    for (let i = 0; i < 500; i++) {
      const chunk = new Uint8Array(97).fill(0x61 + (i % 26));
      all.push(...chunk);
      tail.push(chunk);
      peak = Math.max(peak, tail.held);
    }
    expect(tail.total).toBe(500 * 97);
    expect(peak).toBeLessThanOrEqual(1000 + 97);
    const result = tail.result();
    expect(result.truncated).toBe(true);
    const text = Buffer.from(result.log).toString("latin1");
    expect(text.slice(text.indexOf("\n") + 1)).toBe(Buffer.from(all.slice(-1000)).toString("latin1"));
  });
});
