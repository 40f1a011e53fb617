import { describe, expect, it } from "vitest";
import { excerptHead, firstCommandLine, opensWithNoise } from "../../src/eval/noise-head.js";

describe("excerptHead and firstCommandLine", () => {
  it("number lines as the log does: cut markers count what was cut, runner timestamps and folds are cleaned", () => {
    expect(excerptHead("… 1,271 lines omitted …\n\tand, to the best of our knowledge\nmore")).toEqual({
      n: 1272,
      text: "\tand, to the best of our knowledge",
    });
    expect(excerptHead("first\nsecond")).toEqual({ n: 1, text: "first" });
    const raw = [
      "travis_fold:start:worker_info\r\x1b[0K\x1b[33;1mWorker information\x1b[0m",
      "hostname: w-1",
      "travis_fold:start:git.checkout\r\x1b[0Ktravis_time:start:1764ba00\r\x1b[0K$ git clone --depth=50 x",
    ].join("\n");
    expect(firstCommandLine(raw)).toBe(3);
    expect(
      firstCommandLine(
        "2024-01-02T03:04:05.1234567Z Current runner version\n2024-01-02T03:04:06.1234567Z ##[group]Run npm ci",
      ),
    ).toBe(2);
    expect(firstCommandLine("no command here")).toBeUndefined();
  });
});

describe("opensWithNoise", () => {
  const raw = [
    "Worker information",
    "zip version",
    "\tthe USA under License Exception TSU",
    "$ make",
    "cc -c a.c",
    "a.c:3:1: error: x",
    "ERROR: y",
  ].join("\n");

  it("is true for a noise line or a line of the runner's preamble, false from the first command on", () => {
    expect(opensWithNoise("… 2 lines omitted …\n\tthe USA under License Exception TSU\n$ make", raw)).toBe(true);
    expect(opensWithNoise("Worker information\nzip version", raw)).toBe(true);
    expect(opensWithNoise("… 3 lines omitted …\n$ make\ncc -c a.c", raw)).toBe(false);
    expect(opensWithNoise("… 5 lines omitted …\na.c:3:1: error: x", raw)).toBe(false);
    expect(opensWithNoise("Downloading http-errors-1.7.2.tgz\nerror", "Downloading http-errors-1.7.2.tgz\nerror")).toBe(
      true,
    );
  });

  it("lets an unmistakable error of the preamble open an excerpt", () => {
    const log = ["ERROR: could not mount the cache: No space left on device", "$ make"].join("\n");
    expect(opensWithNoise("ERROR: could not mount the cache: No space left on device", log)).toBe(false);
  });

  it("counts an unmistakable error worded like noise as no noise, as the excerpt keeps it", () => {
    const error = "java.lang.RuntimeException: can not run elasticsearch as root";
    expect(opensWithNoise(error, `$ ./run.sh\n${error}`)).toBe(false);
    const licence = "[ERROR] Dependency org.example:lib:1.0 is licensed under GNU General Public License v3";
    expect(opensWithNoise(licence, `$ mvn verify\n${licence}`)).toBe(false);
  });
});
