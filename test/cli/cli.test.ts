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
  it("prints the key error line first, then category, failed step, fingerprint and excerpt", async () => {
    const r = await cli(["diagnose", file("a.log", LOG)]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    // What a person would quote, before anything else; the runner's generic exit line is not it.
    expect(r.out.split("\n")[0]).toBe("FAIL  src/sum.test.ts > adds");
    expect(r.out.split("\n").slice(0, 3)).toContain("AssertionError: expected 3 to be 4");
    expect(r.out).toMatch(/^failed command: npm test$/m);
    expect(r.out).toMatch(/^excerpt, 6 lines read:$/m);
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
    expect(Object.keys(obj).sort()).toEqual([
      "annotations",
      "category",
      "excerpt",
      "failedCommand",
      "failedSteps",
      "fingerprint",
      "keyLines",
      "lineCount",
      "truncated",
    ]);
    expect(obj.category).toBe("test");
    expect(obj.failedSteps).toEqual(["Run npm test"]);
    expect(obj.failedCommand).toBe("npm test");
    expect(obj.lineCount).toBe(6);
    expect(obj.keyLines).toEqual(["FAIL  src/sum.test.ts > adds", "AssertionError: expected 3 to be 4"]);
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

  it("--steps shows the failed step in --json too", async () => {
    const jobs = { steps: [{ name: "Unit tests", number: 2, conclusion: "failure" }] };
    const r = await cli(["diagnose", file("c2.log", LOG), "--steps", file("job.json", JSON.stringify(jobs)), "--json"]);
    expect(JSON.parse(r.out).failedSteps).toEqual(["Unit tests"]);
  });

  it("--baseline marks the lines the passing log did not print, in the text and in --json", async () => {
    const pass = [
      "2024-04-30T09:00:00.0000000Z ##[group]Run npm test",
      "2024-04-30T09:00:00.0000000Z npm test",
      "2024-04-30T09:00:00.0000000Z ##[endgroup]",
      "2024-04-30T09:00:01.0000000Z  ✓ src/sum.test.ts > adds",
    ].join("\n");
    const passFile = file("pass.log", pass);
    const text = await cli(["diagnose", file("e.log", LOG), "--baseline", passFile]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^baseline: .*pass\.log \(4 lines\)/m);
    expect(text.out).toMatch(/^\+ AssertionError: expected 3 to be 4$/m);
    expect(text.out).toMatch(/^ {2}##\[group\]Run npm test$/m);
    const json = JSON.parse((await cli(["diagnose", file("e2.log", LOG), `--baseline=${passFile}`, "--json"])).out);
    const lines = (json.excerpt as string).split("\n");
    expect(json.baseline.file).toBe(passFile);
    expect(json.baseline.lines).toBe(4);
    expect(json.baseline.excerptLinesSeen).toEqual(
      ["##[group]Run npm test", "npm test", "##[endgroup]"].map((l) => lines.indexOf(l)),
    );
    expect((await cli(["diagnose", file("e3.log", LOG), "--baseline", path.join(dir, "nope.log")])).err).toMatch(
      /^ci-medic: baseline log not found: /,
    );
  });

  it("prints @scope/package names as they are, without invisible characters", async () => {
    const log = `${LOG}\nnpm error 404  '@angular/core@99.0.0' is not in this registry.\n`;
    for (const argv of [[], ["--json"]]) {
      const r = await cli(["diagnose", file("f.log", log), ...argv]);
      expect(r.out).toContain("@angular/core@99.0.0");
      expect(r.out).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/);
    }
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
