import { describe, expect, it } from "vitest";
import { markNewLines } from "../../src/diagnosis/prompt.js";
import { analyzeLog } from "../../src/logs/analyze.js";
import { Baseline, baselineKey } from "../../src/logs/baseline.js";

describe("baselineKey", () => {
  it("masks what changes between two runs of the same job and keeps what tells failures apart", () => {
    const pairs: [string, string][] = [
      ["Started at 2026-11-20T08:00:01.123Z", "Started at 2026-11-23T09:12:44.999Z"],
      ["Tests passed in 1.52s (12 ms per test)", "Tests passed in 3.1s (9 ms per test)"],
      ["wrote /tmp/jest_rs/abc123/out.json", "wrote /tmp/jest_rs/zzz999/out.json"],
      ["listening on http://127.0.0.1:53122/", "listening on http://127.0.0.1:61002/"],
      ["container 3f2a9c1b7d4e started", "container 9b8c7d6e5f4a started"],
      ["request 7d3c1f0e-8b2a-4c6d-9e1f-0a2b3c4d5e6f ok", "request 00000000-1111-2222-3333-444444444444 ok"],
      ["(node:1234) Warning: x", "(node:98765) Warning: x"],
      ["downloaded 12.5 MB in 2 s", "downloaded 13.0 MB in 3 s"],
      // Dates with month names, minute durations, time(1), progress counters, rates, bare sizes, TAP ordinals.
      [
        "Jan 07, 2022 8:02:04 AM org.assertj.core.util.FileFixture create",
        "Mar 21, 2023 11:40:13 PM org.assertj.core.util.FileFixture create",
      ],
      ["-rw-r--r-- 1 travis root 20942 Dec 23 00:28 ./a.hi", "-rw-r--r-- 1 travis root 20943 Jan  4 13:02 ./a.hi"],
      ["[INFO] Total time: 01:59 min", "[INFO] Total time: 02:07 min"],
      ["real\t1m26.420s", "real\t0m58.003s"],
      ["Receiving objects:  57% (426/746)", "Receiving objects:  60% (1201/2000)"],
      [
        "Finished in 0.89s, 244.7307 runs/s, 566.2180 assertions/s.",
        "Finished in 1.2s, 190.1 runs/s, 402.5 assertions/s.",
      ],
      ["[INFO] Final Memory: 27M/228M", "[INFO] Final Memory: 31M/240M"],
      [
        "t5300-pack-object.sh .. ok 7595 ms ( 0.02 usr 0.01 sys + 8.57 cusr 2.69 csys = 11.29 CPU)",
        "t5300-pack-object.sh .. ok 8012 ms ( 0.03 usr 0.00 sys + 9.01 cusr 2.50 csys = 11.54 CPU)",
      ],
      ["ok 20 - run/QueueTest.scala", "ok 21 - run/QueueTest.scala"],
    ];
    for (const [a, b] of pairs) expect(baselineKey(a), `${a} ~ ${b}`).toBe(baselineKey(b));
    const different: [string, string][] = [
      ["Tests: 1 failed, 3 passed", "Tests: 0 failed, 4 passed"],
      ["src/app.ts:72:53 - error TS2345", "src/app.ts:73:53 - error TS2345"],
      ["not ok 3 - adds numbers", "ok 3 - adds numbers"],
      ["Running tests with JUnit 4.12", "Running tests with JUnit 5.10"],
      ["Expected 12:30 but got 12:31", "Expected 12:30 but got 12:30"],
    ];
    for (const [a, b] of different) expect(baselineKey(a), `${a} ≁ ${b}`).not.toBe(baselineKey(b));
  });
});

describe("Baseline", () => {
  it("cleans runner timestamps and colour codes of the passing log, from text or from chunks split mid-line", async () => {
    const text = "2026-11-20T08:00:00.1234567Z \x1b[32mok\x1b[0m 1\r\nsecond line\nlast";
    const fromText = Baseline.fromText(text);
    const fromChunks = await Baseline.fromChunks(
      (async function* () {
        yield Buffer.from(text.slice(0, 33));
        yield Buffer.from(text.slice(33, 45));
        yield text.slice(45);
      })(),
    );
    for (const b of [fromText, fromChunks]) {
      expect(b.lines).toBe(3);
      expect(b.has("ok 1")).toBe(true);
      expect(b.has("second line")).toBe(true);
      expect(b.has("last")).toBe(true);
      expect(b.has("first line")).toBe(false);
    }
  });

  it("shrinks the excerpt to what the passing run did not print, and keeps a cause it printed as a warning", async () => {
    const common = Array.from({ length: 300 }, (_, i) => `[INFO] compiling module-${i} (warnings: none)`);
    const pass = [...common, "[WARNING] deprecated API used in Foo.java", "[INFO] BUILD SUCCESS"].join("\n");
    const fail = [
      ...common.slice(0, 150),
      "[ERROR] Foo.java:[12,5] error: cannot find symbol",
      ...common.slice(150),
      "[WARNING] deprecated API used in Foo.java",
      "[ERROR] BUILD FAILURE",
    ].join("\n");
    const without = await analyzeLog(fail);
    const withBaseline = await analyzeLog(fail, { baseline: Baseline.fromText(pass) });
    expect(withBaseline.excerpt).toContain("[ERROR] Foo.java:[12,5] error: cannot find symbol");
    expect(withBaseline.excerpt).toContain("[ERROR] BUILD FAILURE");
    expect(withBaseline.excerpt.length).toBeLessThan(without.excerpt.length);
    const lines = withBaseline.excerpt.split("\n");
    const warning = lines.indexOf("[WARNING] deprecated API used in Foo.java");
    // Seen in the passing run, so marked as such, but still there as context of the failure at the end.
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(withBaseline.seenInBaseline).toContain(warning);
    expect(withBaseline.seenInBaseline).not.toContain(lines.indexOf("[ERROR] BUILD FAILURE"));
    expect(without.seenInBaseline).toBeUndefined();
  });
});

describe("the context a passing run printed too", () => {
  it("goes first to the failed step's last lines and strongest errors, as without a baseline, not to the biggest window", async () => {
    const common = Array.from({ length: 300 }, (_, i) => `[INFO] compiling module-${i} (warnings: none)`);
    // An error and its long trace that both runs print (a retried upload), worth a whole context budget by itself.
    const retried = [
      "ERROR: upload of the build cache failed, retrying",
      ...Array.from({ length: 80 }, (_, i) => `    at uploadChunk (/opt/cache/lib/upload-${i}.js:${i + 1}:7)`),
    ];
    // The tool's summary, printed by both runs, closes the failed step.
    const summary = Array.from({ length: 20 }, (_, i) => `summary ${i}: see target/reports/part-${i}.txt`);
    const pass = [...common, ...retried, "[INFO] BUILD SUCCESS", ...summary].join("\n");
    const fail = [...common, ...retried, "[ERROR] Foo.java:[12,5] error: cannot find symbol", ...summary].join("\n");
    const r = await analyzeLog(fail, { baseline: Baseline.fromText(pass) });
    expect(r.excerpt).toContain("[ERROR] Foo.java:[12,5] error: cannot find symbol");
    for (const line of summary) expect(r.excerpt).toContain(line);
    const lines = r.excerpt.split("\n");
    expect(r.seenInBaseline).toContain(lines.indexOf(summary[0]!));
  });
});

describe("markNewLines", () => {
  it("prefixes new lines with + and seen ones with two spaces; cut markers stay as they are", () => {
    const excerpt = ["… 12 lines omitted …", "seen line", "new line", "… 3 lines omitted …"].join("\n");
    expect(markNewLines({ excerpt, seenInBaseline: [1] })).toBe(
      ["… 12 lines omitted …", "  seen line", "+ new line", "… 3 lines omitted …"].join("\n"),
    );
    expect(markNewLines({ excerpt })).toBe(excerpt);
  });
});

describe("Baseline.fromChunks on an overlong line", () => {
  it("holds at most the line's head and still reads the lines after it", async () => {
    const long = "x".repeat(250_000);
    const b = await Baseline.fromChunks(
      (async function* () {
        for (let i = 0; i < long.length; i += 64_000) yield long.slice(i, i + 64_000);
        yield "\nafter the long line\n";
      })(),
    );
    expect(b.lines).toBe(2);
    expect(b.has("after the long line")).toBe(true);
  });
});
