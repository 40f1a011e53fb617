// The line-start rules live twice (line-shape.ts and teddy.wat's `classify`): both must give every line the same kind.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createCandidateScanner } from "../../../src/logs/scan/candidate-scanner.js";
import { BLANK, LEAD_WORDS, LOOK, QUIET, QUIET_INDENTED } from "../../../src/logs/scan/line-shape.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures");
const wasm = createCandidateScanner("simd");
const js = createCandidateScanner("simd-scan");

function kinds(scanner: typeof wasm, buf: Buffer) {
  const r = scanner.lines(buf);
  return { ends: Array.from(r.ends.subarray(0, r.count)), codes: Array.from(r.codes.subarray(0, r.count)) };
}

/** A small seeded generator, so that a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Lines made of the pieces the rules look at: timestamps, indentation, colour codes, \r redraws, lead bytes and words, `:`. */
function adversarialLines(seed: number, n: number): string[] {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const pieces = [
    "2024-05-06T07:08:09.1234567Z ",
    "2024-05-06T07:08:09Z",
    "2024-05-06T07:08:09.1234567",
    " ",
    "\t",
    "\x1b[32m",
    "\x1b[",
    "\x1b]0;",
    "\r",
    "\r\r",
    "##[group]",
    "::error::",
    "____ ",
    "=== ",
    "^-- SC2086",
    "\uFEFF",
    "E ",
    "E",
    "12) ",
    "3",
    ")",
    ":",
    "src/a.ts:3:1",
    "word",
    "z".repeat(20),
    ...LEAD_WORDS,
    ...LEAD_WORDS.map((w) => w.slice(0, -1)),
    "error",
    "✓",
  ];
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(next() * 6) }, () => pick(pieces)).join(""));
}

describe("line kinds: teddy.wat's classify and line-shape.ts's classifyLines", () => {
  it("uses both here (WebAssembly SIMD is available on Node 20 and 22)", () => {
    expect([wasm.kind, js.kind]).toEqual(["simd", "simd-scan"]);
  });

  it("agree on every line of the fixtures", () => {
    const files = ["logs", "toolchains"].flatMap((d) =>
      fs.readdirSync(path.join(FIXTURES, d)).map((f) => path.join(FIXTURES, d, f)),
    );
    for (const file of files) {
      const buf = fs.readFileSync(file);
      const text = buf.at(-1) === 10 ? buf : Buffer.concat([buf, Buffer.from("\n")]);
      expect(kinds(wasm, text), file).toEqual(kinds(js, text));
    }
  });

  it("agree on generated lines of every shape the rules tell apart, and tell all four kinds", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const buf = Buffer.from(`${adversarialLines(seed, 500).join("\n")}\n`, "utf8");
      const expected = kinds(js, buf);
      expect(kinds(wasm, buf), `seed ${seed}`).toEqual(expected);
      for (const c of expected.codes) seen.add(c);
    }
    expect([...seen].sort()).toEqual([LOOK, QUIET, QUIET_INDENTED, BLANK]);
  });

  it("agree on a line longer than the longest kept one, and on a region without a final newline", () => {
    for (const text of [`quiet\n${"q ".repeat(5000)}\nquiet again\n`, "a b\n  c d\nlast line without newline"]) {
      const buf = Buffer.from(text);
      expect(kinds(wasm, buf)).toEqual(kinds(js, buf));
    }
  });
});
