// The line router hands a line to the parsers and the collector only when the scan flags it (a literal of
// literals.ts in it, or a start line-shape.ts knows): a parser that keys on a word missing from both would silently
// never see its lines. This test names such a line, for every fixture the parsers are tested on.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { anchorStrength } from "../../../src/logs/anchors.js";
import { AnnotationEngine } from "../../../src/logs/annotations/engine.js";
import { toRepoPath } from "../../../src/logs/annotations/paths.js";
import { cleanLine } from "../../../src/logs/clean.js";
import { type CandidateScanner, createCandidateScanner } from "../../../src/logs/scan/candidate-scanner.js";
import { LOOK } from "../../../src/logs/scan/line-shape.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures");
const fixtures = ["toolchains", "logs"].flatMap((d) =>
  fs.readdirSync(path.join(FIXTURES, d)).map((f) => path.join(d, f)),
);

/** The lines of `text` a parser or the collector acts on while nothing else makes the router show it every line. */
function actedOn(text: string): string[] {
  const engine = new AnnotationEngine((raw) => toRepoPath(raw));
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    const line = cleanLine(raw);
    // While busy or inside an eslint block the parser sees every (indented) line anyway.
    const watched = engine.busy || engine.inEslintBlock;
    const before = engine.finish().length;
    engine.push(line);
    const acted = engine.finish().length > before || engine.busy || engine.inEslintBlock;
    if (!watched && (acted || anchorStrength(line) > 0)) lines.push(raw);
  }
  return lines;
}

function kind(scanner: CandidateScanner, raw: string): number {
  return scanner.lines(Buffer.from(`${raw}\n`, "utf8")).codes[0]!;
}

describe.each(["simd", "regex"] as const)("the %s scan flags every line a parser or the collector acts on", (k) => {
  const scanner = createCandidateScanner(k);
  it.each(fixtures)("%s", (fixture) => {
    const lines = actedOn(fs.readFileSync(path.join(FIXTURES, fixture), "utf8"));
    expect(lines.length).toBeGreaterThan(0);
    const missed = lines.filter((raw) => kind(scanner, raw) !== LOOK);
    // A line here is acted on but skipped by the router: add its word to literals.ts (or its start to line-shape.ts).
    expect(missed).toEqual([]);
  });
});
