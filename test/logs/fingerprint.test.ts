import { describe, expect, it } from "vitest";
import { analyzeLog } from "../../src/logs/analyze.js";
import { fingerprint, normaliseForFingerprint } from "../../src/logs/fingerprint.js";

function run(o: {
  ts: string;
  runId: number;
  tmp: string;
  ms: number;
  port: number;
  sha: string;
  uuid: string;
  failure?: string;
}): string {
  const failure = o.failure ?? `AssertionError: expected 'ok' to be 'fail' in /tmp/${o.tmp}/fixture.json`;
  return [
    `##[group]Run npm test`,
    `npm test`,
    `##[endgroup]`,
    `Run ${o.runId} of commit ${o.sha} (job ${o.uuid})`,
    ` FAIL  test/api.test.ts > GET /health (${o.ms}ms)`,
    `Error: connect to server at 127.0.0.1:${o.port} failed after ${o.ms / 1000}s`,
    failure,
    `    at test/api.test.ts:12:7`,
    `Duration  ${o.ms}ms (transform 3.2s)`,
    `##[error]Process completed with exit code 1.`,
  ]
    .map((l) => `${o.ts} ${l}`)
    .join("\n");
}

const a = {
  ts: "2024-03-01T10:00:00.1234567Z",
  runId: 811,
  tmp: "tmp.AbC123",
  ms: 231,
  port: 40123,
  sha: "3f786850e387550fdab836ed7e6dc881de23001b",
  uuid: "6a1f3c2e-8b7d-4c5e-9f0a-1b2c3d4e5f60",
};
const b = {
  ts: "2024-03-09T22:41:17.7654321Z",
  runId: 999,
  tmp: "tmp.zZ9",
  ms: 1874,
  port: 51002,
  sha: "0bada55e387550fdab836ed7e6dc881de2300000",
  uuid: "11111111-2222-4333-8444-555555555555",
};

describe("fingerprint", () => {
  it("is equal across reruns that differ in timestamps, durations, temp paths, ports and run ids", async () => {
    const x = await analyzeLog(run(a));
    const y = await analyzeLog(run(b));
    expect(x.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(y.fingerprint).toBe(x.fingerprint);
  });

  it("differs for a different failure", async () => {
    const x = await analyzeLog(run(a));
    const z = await analyzeLog(run({ ...a, failure: "TypeError: Cannot read properties of undefined (reading 'id')" }));
    expect(z.fingerprint).not.toBe(x.fingerprint);
  });

  it("masks volatile parts and keeps the words", () => {
    expect(
      normaliseForFingerprint(
        "at 2024-03-01T10:00:00Z took 12ms in /tmp/x1/y on localhost:8080 id 6a1f3c2e-8b7d-4c5e-9f0a-1b2c3d4e5f60 sha deadbeef12",
      ),
    ).toBe("at <time> took <dur> in <tmp> on localhost:<port> id <uuid> sha <hex>");
    expect(normaliseForFingerprint("C:\\Users\\runner\\AppData\\Local\\Temp\\abc\\f.txt missing")).toBe(
      "<tmp> missing",
    );
  });

  it("depends on step, category and annotation pairs", () => {
    const base = { failedSteps: ["test"], category: "test" as const, errorLines: ["boom"], annotations: [] };
    const f = fingerprint(base);
    expect(fingerprint({ ...base, failedSteps: ["lint"] })).not.toBe(f);
    expect(fingerprint({ ...base, category: "compile" })).not.toBe(f);
    const ann = {
      path: "src/a.ts",
      startLine: 3,
      level: "failure" as const,
      title: "TS2322",
      message: "m",
      tool: "tsc",
    };
    expect(fingerprint({ ...base, annotations: [ann] })).not.toBe(f);
    expect(fingerprint({ ...base, annotations: [{ ...ann, startLine: 9, message: "other" }] })).toBe(
      fingerprint({ ...base, annotations: [ann] }),
    );
  });
});
