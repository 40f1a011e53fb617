import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AnnotationEngine } from "../../src/logs/annotations/engine.js";
import { toRepoPath } from "../../src/logs/annotations/paths.js";
import { readLogFile, readLogRegions } from "../../src/logs/byte-reader.js";
import { LogCollector } from "../../src/logs/collector.js";
import { LineRouter } from "../../src/logs/line-router.js";
import { readLogLines } from "../../src/logs/reader.js";
import { type CandidateScanner, createCandidateScanner } from "../../src/logs/scan/candidate-scanner.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const fixtureFiles = [
  ...fs
    .readdirSync(path.join(FIXTURES, "toolchains"))
    .filter((f) => f.endsWith(".log"))
    .map((f) => path.join(FIXTURES, "toolchains", f)),
  ...fs.readdirSync(path.join(FIXTURES, "logs")).map((f) => path.join(FIXTURES, "logs", f)),
];

async function* chunked(text: string, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A fixture as the runner prints it: timestamps, a step header, coloured and \r-progress noise between its lines. */
function asActionsLog(body: string): string {
  const out: string[] = ["##[group]Run make check", "make check", "shell: /usr/bin/bash -e {0}", "##[endgroup]"];
  body.split("\n").forEach((line, i) => {
    if (i % 3 === 0) out.push(`\x1b[32m ✓ \x1b[39m case ${i} passes \x1b[2m(${i} ms)\x1b[22m`);
    if (i % 7 === 0) out.push(`Downloading ${i}: 10%\r50%\r100% done`);
    if (i % 11 === 0) out.push("");
    out.push(line);
  });
  out.push("##[error]Process completed with exit code 1.", "Post job cleanup.", "Cleaning up orphan processes");
  return out.map((l, i) => `2024-05-06T07:08:${String(i % 60).padStart(2, "0")}.1234567Z ${l}`).join("\r\n");
}

/** What analyzeLog did before the router: every line cleaned, collected and parsed. */
async function lineByLine(text: string) {
  const collector = new LogCollector();
  const engine = new AnnotationEngine((raw) => toRepoPath(raw));
  const lineCount = await readLogLines(chunked(text, 4096), (l) => {
    collector.push(l);
    engine.push(l);
  });
  return { lineCount, segments: collector.finish(), keys: [...collector.keyCounts], annotations: engine.finish() };
}

/** A router over a fresh collector and parser, and what they found once it is done. */
function newRouter(scanner: CandidateScanner["kind"] = "simd") {
  const collector = new LogCollector();
  const engine = new AnnotationEngine((raw) => toRepoPath(raw));
  const router = new LineRouter(collector, engine, createCandidateScanner(scanner));
  const result = () => ({
    lineCount: router.lineCount,
    segments: collector.finish(),
    keys: [...collector.keyCounts],
    annotations: engine.finish(),
  });
  return { router, result };
}

async function routed(text: string, chunk: number, scanner: CandidateScanner["kind"] = "simd") {
  const { router, result } = newRouter(scanner);
  await readLogRegions(chunked(text, chunk), router);
  return result();
}

/** Runs `fn` on a file (or, with `make`, whatever `make` puts at the path) in a directory of its own. */
async function withFile<T>(fn: (file: string) => Promise<T>, make: (file: string) => void): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-medic-router-"));
  const file = path.join(dir, "job.log");
  try {
    make(file);
    return await fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every word the anchors or the parsers key on, in the casings tools print, between quiet lines. */
const KEYWORDS = [
  "Error: boom",
  "ERROR boom",
  "error: boom",
  "stderr closed",
  "Exception in thread main",
  "EXCEPTION",
  "exit status 2",
  "EXIT 3",
  "Expected 1 but got 2",
  "EXPECTED",
  "FAILED tests/x.py::t",
  "Failure",
  "fail",
  "fatal: not a git repository",
  "FATAL",
  "panic: runtime error",
  "PANIC",
  "Assertion failed",
  "ASSERT",
  "Aborted",
  "ABORT",
  "npm warn deprecated",
  "WARNING: x",
  "Traceback (most recent call last):",
  '  File "app/x.py", line 3, in f',
  "ValueError: bad",
  "Killed",
  "permission denied",
  "No space left on device",
  "Segmentation fault (core dumped)",
  "Too many open files",
  "-----BEGIN RSA PRIVATE KEY-----",
  "c2VjcmV0",
  "-----END RSA PRIVATE KEY-----",
  "✗ broken",
  "✖ 2 problems",
  "× src/a.test.ts > a",
  '✘ [ERROR] Could not resolve "x"',
  "    src/a.ts:1:7:",
  "▲ [WARNING] odd",
  "❯ src/a.test.ts:3:5",
  "● suite › case",
  "1) suite case:",
  "___ test_x ___",
  "E   assert 1 == 2",
  "=== RUN   TestX",
  "--- FAIL: TestX (0.00s)",
  "ok  \tpkg\t0.1s",
  "Uncaught TypeError: x",
  "In ./run.sh line 3:",
  "src/app.ts",
  "  3:1  error  Unexpected var  no-var",
  "",
  // The same words inside a line, where neither the first token nor the line's start gives them away.
  ...[
    "stderr",
    "Exception",
    "EXCEPTION",
    "exit",
    "EXIT",
    "expect",
    "EXPECT",
    "fail",
    "FAIL",
    "Fail",
    "fatal",
    "FATAL",
    "panic",
    "Panic",
    "PANIC",
    "assert",
    "ASSERT",
    "abort",
    "ABORT",
    "warn",
    "WARN",
    "Warn",
    "Traceback",
    "Killed",
    "denied",
    "No space left",
    "Segmentation fault",
    "Too many open files",
    "✗",
    "✖",
    "×",
    "✘",
    "▲",
    "✕",
    "❯",
    "●",
  ].map((w) => `note that ${w} here`),
  // Far enough apart that no window, stack-frame lookahead or block of the previous one still covers the next.
].join(`\n${Array.from({ length: 80 }, (_, i) => `step ${i} all good here`).join("\n")}\n`);

/** Every scanner: SIMD with the line kinds in WebAssembly (the default), SIMD with them in JavaScript, the regex. */
const SCANNERS = ["simd", "simd-scan", "regex"] as const;

describe("LineRouter", () => {
  it.each(SCANNERS)(
    "keeps the same result as line-by-line analysis for every keyword and line shape it may skip (%s scanner)",
    async (scanner) => {
      const text = asActionsLog(KEYWORDS);
      const expected = await lineByLine(text);
      expect(JSON.parse(JSON.stringify(await routed(text, 777, scanner)))).toEqual(
        JSON.parse(JSON.stringify(expected)),
      );
    },
  );

  it.each(fixtureFiles.flatMap((f) => SCANNERS.map((k) => [path.basename(f), k, f] as const)))(
    "keeps the same steps, windows, tails and annotations as line-by-line analysis (%s, %s scanner)",
    async (_name, scanner, file) => {
      const text = asActionsLog(fs.readFileSync(file, "utf8"));
      const expected = await lineByLine(text);
      expect(JSON.parse(JSON.stringify(await routed(text, 4099, scanner)))).toEqual(
        JSON.parse(JSON.stringify(expected)),
      );
    },
  );

  it("decodes the skipped lines a step's tail shows, across region boundaries", async () => {
    const lines = Array.from({ length: 120_000 }, (_, i) => `line ${i} ok`);
    const text = `##[group]Run npm test\n##[endgroup]\n${lines.join("\n")}\nnpm ERR! code 1\n`;
    const r = await routed(text, 65_536);
    const seg = r.segments[1]!;
    expect(r.lineCount).toBe(120_003);
    expect(seg.tail.length).toBe(200);
    expect(seg.tail.at(-1)).toEqual({ n: 120_003, text: "npm ERR! code 1", strength: 3 });
    expect(seg.tail.at(-2)).toEqual({ n: 120_002, text: "line 119999 ok", strength: 0 });
    expect(seg.tail[0]!.text).toBe("line 119801 ok");
    // The anchor's window starts with its context lines, decoded.
    expect(seg.windows[0]!.lines.map((l) => l.text)).toEqual([
      "line 119995 ok",
      "line 119996 ok",
      "line 119997 ok",
      "line 119998 ok",
      "line 119999 ok",
      "npm ERR! code 1",
    ]);
  });
});

async function fromFile(text: string) {
  return withFile(
    async (file) => {
      const { router, result } = newRouter();
      await readLogFile(file, router);
      return result();
    },
    (file) => fs.writeFileSync(file, text),
  );
}

describe("log files", () => {
  // A log many reads long (1 MB each from a file, at most a pipe's buffer from a pipe), with an over-long line across a
  // read boundary and no final newline.
  const big = [
    asActionsLog(KEYWORDS),
    ...Array.from(
      { length: 30_000 },
      (_, i) => `2024-05-06T07:08:09.1234567Z \x1b[32m✓\x1b[39m case ${i} passes (${i % 17} ms)`,
    ),
    `2024-05-06T07:08:09.1234567Z ${"z".repeat(3_000_000)}`,
    // A step whose 200-line tail spans more than two reads from a pipe: its lines must be copied out before their
    // buffer is reused.
    "##[group]Run make wide",
    "##[endgroup]",
    ...Array.from({ length: 1_200 }, (_, i) => `row ${i} ${String(i).repeat(1000).slice(0, 3000)}`),
    "##[error]Process completed with exit code 1.",
    asActionsLog(fs.readFileSync(fixtureFiles[0]!, "utf8")),
    "no newline at the end",
  ].join("\n");

  // An exact multiple of the read size: the last read comes back empty.
  const exact = (() => {
    const lines = Array.from({ length: 95_000 }, (_, i) =>
      i % 5_000 === 4_999
        ? `2024-05-06T07:08:09.1234567Z Error: flaky ${i}`
        : `2024-05-06T07:08:09.1234567Z   step ${i} ok`,
    ).join("\n");
    const size = 10 * 1024 * 1024;
    const text = `${lines}\n${"w".repeat(size - Buffer.byteLength(lines) - 2)}\n`;
    expect(Buffer.byteLength(text)).toBe(size);
    return text;
  })();

  // Forty failed steps: their tails are copied as each closes and given back as newer ones replace them (the arena's
  // blocks are cut again); the tails kept to the end must be their own.
  const manySteps = Array.from({ length: 40 }, (_, s) =>
    [
      `##[group]Run npm run shard ${s}`,
      "##[endgroup]",
      `Error: shard ${s} failed`,
      ...Array.from({ length: 300 }, (_, i) => `  shard ${s} line ${i} ${"-".repeat(80)}`),
      "##[error]Process completed with exit code 1.",
    ].join("\n"),
  ).join("\n");

  it("reads a file with the same result as line-by-line analysis", async () => {
    for (const text of [asActionsLog(KEYWORDS), big, exact, manySteps, ""]) {
      const expected = await lineByLine(text);
      expect(JSON.parse(JSON.stringify(await fromFile(text)))).toEqual(JSON.parse(JSON.stringify(expected)));
    }
  });

  it.skipIf(process.platform === "win32")(
    "reads a named pipe in order, as `<(gh run view --log)` gives one",
    async () => {
      const { router, result } = newRouter();
      await withFile(
        async (fifo) => {
          // The writer's open waits for the reader's (on libuv's pool), then writes the whole log through the pipe.
          const writing = fs.promises.writeFile(fifo, big);
          await readLogFile(fifo, router);
          await writing;
        },
        (fifo) => execFileSync("mkfifo", [fifo]),
      );
      expect(JSON.parse(JSON.stringify(result()))).toEqual(JSON.parse(JSON.stringify(await lineByLine(big))));
    },
  );

  it("refuses a binary file and reports a missing one", async () => {
    await expect(fromFile(`\u0000\u0001${"x".repeat(100)}`)).rejects.toThrow(/binary/i);
    const router = new LineRouter(new LogCollector(), undefined);
    await expect(readLogFile(path.join(os.tmpdir(), "ci-medic-no-such.log"), router)).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});

describe("readLogRegions", () => {
  it("hands over only complete lines, finishes the last one, and cuts a line that outgrows a region", async () => {
    const regions: string[] = [];
    const long: [string, number][] = [];
    const sink = {
      region: (b: Buffer) => regions.push(b.toString("utf8")),
      overlong: (head: Buffer, dropped: number) =>
        long.push([head.toString("utf8").slice(0, 3), head.length + dropped]),
      end: () => undefined,
    };
    const endless = "x".repeat(3 << 20);
    await readLogRegions(chunked(`a\nb${"é".repeat(3)}\n${endless}\nlast`, 65_536), sink);
    expect(regions.join("")).toBe("a\nbééé\nlast\n");
    expect(regions.every((r) => r.endsWith("\n"))).toBe(true);
    expect(long).toEqual([["xxx", endless.length]]);
  });
});
