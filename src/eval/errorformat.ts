// Precision/recall of the annotation parsers' (file, line) pairs against reviewdog/errorformat's expected outputs.
//
// errorformat fixtures were produced on developers' machines, so their paths are mostly absolute and outside any
// GitHub workspace; the strict toRepoPath would (rightly) drop them. This evaluation therefore measures recognition:
// both sides go through the same lenient normalisation (slashes, `./`, `..`). Path filtering is unit-tested apart.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseWith } from "../logs/annotations/engine.js";
import { normaliseLoose } from "../logs/annotations/paths.js";

/** errorformat testdata names whose formats the parsers claim to handle. */
export const SUPPORTED_ERRORFORMAT_TOOLS: readonly string[] = [
  "tsc",
  "eslint",
  "eslint-compact",
  "standardjs",
  "cargo-check",
  "clippy",
  "dotnet",
  "msbuild",
  "flake8",
  "pep8",
  "mypy",
  "govet",
  "golint",
  "golangci-lint",
  "staticcheck",
  "go-consistent",
  "gosec",
];

export interface ToolScore {
  tool: string;
  expected: number;
  found: number;
  truePositives: number;
  precision: number;
  recall: number;
}

const OK_LINE = /^(.+?)\|(\d+)(?: col \d+)?[^|]*\|/;

function key(file: string, line: number | string): string | null {
  const p = normaliseLoose(file.trim());
  return p === null ? null : `${p}:${line}`;
}

export function expectedPairs(okText: string): Set<string> {
  const out = new Set<string>();
  for (const l of okText.split(/\r?\n/)) {
    const m = OK_LINE.exec(l);
    if (!m) continue;
    const k = key(m[1] as string, m[2] as string);
    if (k !== null) out.add(k);
  }
  return out;
}

export function scoreTool(tool: string, input: string, okText: string): ToolScore {
  const expected = expectedPairs(okText);
  const found = new Set<string>();
  for (const a of parseWith(normaliseLoose, input.split(/\r?\n/))) found.add(`${a.path}:${a.startLine}`);
  let truePositives = 0;
  for (const f of found) if (expected.has(f)) truePositives += 1;
  return {
    tool,
    expected: expected.size,
    found: found.size,
    truePositives,
    precision: found.size === 0 ? (expected.size === 0 ? 1 : 0) : truePositives / found.size,
    recall: expected.size === 0 ? 1 : truePositives / expected.size,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function table(rows: ToolScore[]): string[] {
  const lines = ["| tool | expected | found | matched | precision | recall |", "|---|---:|---:|---:|---:|---:|"];
  for (const r of rows) {
    lines.push(
      `| ${r.tool} | ${r.expected} | ${r.found} | ${r.truePositives} | ${pct(r.precision)} | ${pct(r.recall)} |`,
    );
  }
  return lines;
}

function total(name: string, rows: ToolScore[]): ToolScore {
  const expected = rows.reduce((s, r) => s + r.expected, 0);
  const found = rows.reduce((s, r) => s + r.found, 0);
  const tp = rows.reduce((s, r) => s + r.truePositives, 0);
  return {
    tool: name,
    expected,
    found,
    truePositives: tp,
    precision: found === 0 ? 0 : tp / found,
    recall: expected === 0 ? 0 : tp / expected,
  };
}

export async function scoreAll(dataRoot: string): Promise<{ supported: ToolScore[]; others: ToolScore[] } | null> {
  const dir = path.join(dataRoot, "errorformat", "fmts", "testdata");
  if (!existsSync(dir)) return null;
  const { readdir } = await import("node:fs/promises");
  const tools = (await readdir(dir))
    .filter((f) => f.endsWith(".in"))
    .map((f) => f.slice(0, -3))
    .filter((t) => existsSync(path.join(dir, `${t}.ok`)))
    .sort();
  const supported: ToolScore[] = [];
  const others: ToolScore[] = [];
  for (const tool of tools) {
    const [input, ok] = await Promise.all([
      readFile(path.join(dir, `${tool}.in`), "utf8"),
      readFile(path.join(dir, `${tool}.ok`), "utf8"),
    ]);
    const score = scoreTool(tool, input, ok);
    (SUPPORTED_ERRORFORMAT_TOOLS.includes(tool) ? supported : others).push(score);
  }
  return { supported, others };
}

export async function evalErrorformat(dataRoot: string): Promise<{ markdown: string }> {
  const scores = await scoreAll(dataRoot);
  if (scores === null) {
    return { markdown: `_errorformat evaluation skipped: ${path.join(dataRoot, "errorformat")} not found._` };
  }
  const { supported, others } = scores;
  const md = [
    "(file, line) pairs; paths compared after the same lenient normalisation on both sides.",
    "",
    "Supported formats:",
    "",
    ...table([...supported, total("**all supported**", supported)]),
    "",
    "Other errorformat tools (not claimed; shown for context):",
    "",
    ...table([...others, total("**all others**", others)]),
  ];
  return { markdown: md.join("\n") };
}
