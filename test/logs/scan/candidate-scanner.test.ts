import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CandidateScanner, createCandidateScanner } from "../../../src/logs/scan/candidate-scanner.js";
import { assembleTeddy, renderModule } from "../../../src/logs/scan/compile-wat.js";
import { LITERALS } from "../../../src/logs/scan/literals.js";

function offsets(scanner: CandidateScanner, text: string): number[] {
  const r = scanner.scan(Buffer.from(text, "utf8"));
  return Array.from(r.positions.subarray(0, r.count), (p) => p - r.base);
}

function newlines(scanner: CandidateScanner, buf: Buffer): number[] {
  const r = scanner.scan(buf);
  return Array.from(r.newlines.subarray(0, r.newlineCount), (p) => p - r.base).filter((p) => p < buf.length);
}

const variants = (w: string) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)];

describe.each(["simd", "regex"] as const)("candidate scanner (%s)", (kind) => {
  const scanner = createCandidateScanner(kind);

  it("finds every literal in every casing, at every alignment of a 16-byte block", () => {
    for (const literal of LITERALS) {
      for (const word of variants(literal)) {
        for (let pad = 0; pad < 17; pad++) {
          const text = `${"x".repeat(pad)}${word} and more text after it`;
          expect(offsets(scanner, text), `${JSON.stringify(word)} after ${pad} bytes`).toContain(pad);
        }
      }
    }
  });

  it("flags the words the anchors key on, and not a passing test line", () => {
    for (const line of [
      "npm ERR! code 1",
      "Error: boom",
      "Exception in thread",
      "exit status 2",
      "Expected 1",
      "FAILED",
      "fatal: x",
      "panic: y",
      "AssertionError",
      "Aborted",
      "WARNING: z",
      "Traceback (most recent call last):",
      "Killed",
      "Permission denied",
      "No space left on device",
      "Segmentation fault",
      "Too many open files",
      "-----BEGIN RSA PRIVATE KEY-----",
      "✗ broken",
      "× src/a.test.ts",
      "● suite › case",
      "❯ src/a.ts:3:5",
      "▲ [WARNING]",
      "✘ [ERROR]",
      "✖ 2 problems",
      "✕ case",
    ]) {
      expect(offsets(scanner, line).length, line).toBeGreaterThan(0);
    }
    expect(offsets(scanner, "2024-05-06T07:08:09.1234567Z  ✓ src/a.test.ts (3 tests) 12ms")).toEqual([]);
  });

  it("lists the newlines of the buffer, wherever they fall", () => {
    const buf = Buffer.from(`${Array.from({ length: 300 }, (_, i) => "y".repeat(i % 37)).join("\n")}\n`);
    const expected: number[] = [];
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) expected.push(i);
    expect(newlines(scanner, buf)).toEqual(expected);
  });

  it("reports positions in ascending order", () => {
    const text = "error fail warn ".repeat(500);
    const found = offsets(scanner, text);
    expect(found.length).toBeGreaterThanOrEqual(1500);
    expect(found).toEqual([...found].sort((a, b) => a - b));
  });
});

describe("teddy.wat", () => {
  it("is what teddy-wasm.ts carries (run `npm run build:wasm` after editing it)", async () => {
    const committed = fs.readFileSync(
      path.resolve(import.meta.dirname, "../../../src/logs/scan/teddy-wasm.ts"),
      "utf8",
    );
    expect(committed).toBe(renderModule(await assembleTeddy()));
  });

  it("runs here: the app uses the SIMD scanner on Node 20 and 22", () => {
    expect(createCandidateScanner().kind).toBe("simd");
  });
});
