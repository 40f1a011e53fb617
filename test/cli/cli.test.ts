import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import v8 from "node:v8";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli.js";
import { keepsHeapSmall, SMALL_HEAP_FROM_BYTES, tuneHeapFor } from "../../src/cli-heap.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-medic-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const LOG = [
  "2024-05-01T10:00:00.0000000Z ##[group]Run npm test",
  "2024-05-01T10:00:00.0000000Z npm test",
  "2024-05-01T10:00:00.0000000Z ##[endgroup]",
  "2024-05-01T10:00:01.0000000Z  FAIL  src/sum.test.ts > adds",
  "2024-05-01T10:00:01.0000000Z AssertionError: expected 3 to be 4",
  "2024-05-01T10:00:01.0000000Z ##[error]Process completed with exit code 1.",
].join("\n");

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

async function cli(argv: string[], stdin: string | Buffer = "", env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(argv, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env });
  return { code, out, err };
}

describe("the ci-medic command's heap", () => {
  it("is kept small for a log of half a gigabyte or more, and for a pipe, whose size is unknown", () => {
    expect(keepsHeapSmall(SMALL_HEAP_FROM_BYTES - 1)).toBe(false);
    expect(keepsHeapSmall(SMALL_HEAP_FROM_BYTES)).toBe(true);
    expect(keepsHeapSmall(undefined)).toBe(true);
  });

  it("is kept small by V8's --optimize-for-size, set only when it is", () => {
    const set = vi.spyOn(v8, "setFlagsFromString").mockImplementation(() => undefined);
    try {
      tuneHeapFor(1024);
      expect(set).not.toHaveBeenCalled();
      tuneHeapFor(undefined);
      expect(set).toHaveBeenCalledWith("--optimize-for-size");
    } finally {
      set.mockRestore();
    }
  });

  it("is set from the size of the log file, or for stdin, before the log is read", async () => {
    const told: (number | undefined)[] = [];
    const log = file("sized.log", LOG);
    const run = (argv: string[]) =>
      main(argv, {
        stdin: Readable.from([Buffer.from(LOG)]),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        tuneHeap: (n) => told.push(n),
      });
    expect(await run(["diagnose", log])).toBe(0);
    expect(await run(["diagnose", "-"])).toBe(0);
    expect(await run(["diagnose", path.join(dir, "missing.log")])).toBe(2);
    expect(told).toEqual([Buffer.byteLength(LOG), undefined]);
  });
});

describe("ci-medic diagnose", () => {
  it("prints category, failed step, fingerprint and excerpt", async () => {
    const r = await cli(["diagnose", file("a.log", LOG)]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^category: test$/m);
    expect(r.out).toMatch(/^failed step: Run npm test$/m);
    expect(r.out).toMatch(/^fingerprint: [0-9a-f]{64}$/m);
    expect(r.out).toContain("AssertionError: expected 3 to be 4");
  });

  it("--json prints exactly one object with exactly the agreed fields", async () => {
    const r = await cli(["diagnose", file("b.log", LOG), "--json"]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n")).toHaveLength(1);
    const obj = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(obj).sort()).toEqual(["annotations", "category", "excerpt", "fingerprint", "truncated"]);
    expect(obj.category).toBe("test");
    expect(obj.truncated).toBe(false);
    expect(Array.isArray(obj.annotations)).toBe(true);
    expect(obj.excerpt).toContain("##[error]Process completed with exit code 1.");
  });

  it("reads the log from stdin with -", async () => {
    const r = await cli(["diagnose", "-", "--json"], LOG);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).category).toBe("test");
  });

  it("--steps takes the first failed job of a jobs listing", async () => {
    const jobs = {
      jobs: [
        { conclusion: "success", steps: [{ name: "Other", number: 1, conclusion: "success" }] },
        {
          conclusion: "failure",
          steps: [
            { name: "Set up job", number: 1, conclusion: "success" },
            { name: "Unit tests", number: 2, conclusion: "failure" },
          ],
        },
      ],
    };
    const r = await cli(["diagnose", file("c.log", LOG), "--steps", file("jobs.json", JSON.stringify(jobs))]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^failed step: Unit tests$/m);
  });

  it("--ai without an API key says so on stderr and still prints the deterministic result", async () => {
    const r = await cli(["diagnose", file("d.log", LOG), "--ai", "--json"], "", {});
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/no LLM API key/);
    expect(JSON.parse(r.out).category).toBe("test");
  });

  it.each([
    ["missing file", () => ["diagnose", path.join(dir, "nope.log")], /^ci-medic: log file not found: .*nope\.log\n$/],
    ["directory", () => ["diagnose", dir], /^ci-medic: log file is a directory: /],
    [
      "binary input",
      () => ["diagnose", file("bin.log", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 0]))],
      /^ci-medic: input looks binary, not a text log\n$/,
    ],
    ["empty log", () => ["diagnose", file("empty.log", "\n\n")], /^ci-medic: log is empty\n$/],
    ["unknown flag", () => ["diagnose", "x.log", "--frobnicate"], /^ci-medic: unknown flag: --frobnicate\n$/],
    ["unknown command", () => ["explain", "x.log"], /^ci-medic: unknown command: explain\n$/],
    ["no log file", () => ["diagnose", "--json"], /^ci-medic: missing log file/],
    [
      "bad steps file",
      () => ["diagnose", file("e.log", LOG), "--steps", file("bad.json", "{not json")],
      /^ci-medic: --steps file is not valid JSON\n$/,
    ],
  ])("%s: one line on stderr, exit code 2", async (_name, argv, message) => {
    const r = await cli(argv());
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });
});
