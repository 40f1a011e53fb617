// Shared helpers of the evaluations: how a marked line is compared and how figures are summarised.

const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[0-?@-Z\\^_])/g;

/** Marked lines and excerpt lines are compared after this: no colour codes, no outer or repeated whitespace. */
// LogChunks labels lost the ESC byte of terminal codes (`[31m`, `=[?1l>` left as text) and every `<` (XML export);
// both are dropped on both sides so a label artefact never counts as a miss.
const ANSI_REMNANT = /[=>]?\[\?[0-9;]+[hl][=>]?|\[[0-9;]{0,16}[mK]/g;

export function normaliseLine(line: string): string {
  return line.replace(ANSI, "").replace(ANSI_REMNANT, "").replace(/</g, "").replace(/\s+/g, " ").trim();
}

/**
 * Whether the excerpt keeps a marked line. People marked text regions, so the first and last line of a chunk can be
 * part of a log line: those count as kept when an excerpt line contains them. Inner lines must match whole.
 */
export function isKept(marked: string, edge: boolean, set: Set<string>, lines: string[]): boolean {
  if (set.has(marked)) return true;
  return edge && marked.length >= 8 && lines.some((l) => l.includes(marked));
}

export function excerptLines(excerpt: string): string[] {
  return excerpt
    .split("\n")
    .map(normaliseLine)
    .filter((l) => l.length > 0);
}

export function excerptLineSet(excerpt: string): Set<string> {
  const set = new Set<string>();
  for (const l of excerpt.split("\n")) {
    const n = normaliseLine(l);
    if (n.length > 0) set.add(n);
  }
  return set;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function kb(chars: number): string {
  return `${(chars / 1024).toFixed(1)} KB`;
}

/** One scored log: its repository (for the folds), marked and kept lines, excerpt and prompt size. */
export interface ScoredLog {
  repository: string;
  fold: number;
  marked: number;
  kept: number;
  bytes: number;
  promptChars: number;
  /** The excerpt's first line, and whether it is noise (see noise-head.ts). */
  head?: string;
  noiseHead?: boolean;
}

export interface RecallSummary {
  logs: number;
  markedLines: number;
  keptLines: number;
  /** Mean of the per-log shares (each log counts once). */
  meanShare: number;
  /** Logs whose marked lines were all kept. */
  fullyKept: number;
  medianBytes: number;
  p90Bytes: number;
  failures: number;
  medianPromptChars: number;
  p90PromptChars: number;
}

function p90(sorted: number[]): number {
  return sorted[Math.floor(sorted.length * 0.9)] ?? 0;
}

export function summarise(
  rows: { marked: number; kept: number; bytes: number; promptChars?: number }[],
  failures: number,
): RecallSummary {
  const marked = rows.reduce((a, r) => a + r.marked, 0);
  const kept = rows.reduce((a, r) => a + r.kept, 0);
  const sizes = rows.map((r) => r.bytes).sort((a, b) => a - b);
  return {
    logs: rows.length,
    markedLines: marked,
    keptLines: kept,
    meanShare: rows.length ? rows.reduce((a, r) => a + (r.marked ? r.kept / r.marked : 1), 0) / rows.length : 0,
    fullyKept: rows.filter((r) => r.kept === r.marked).length,
    medianBytes: median(sizes),
    p90Bytes: p90(sizes),
    failures,
    medianPromptChars: median(rows.map((r) => r.promptChars ?? 0)),
    p90PromptChars: p90(rows.map((r) => r.promptChars ?? 0).sort((a, b) => a - b)),
  };
}

export function recallTable(name: string, s: RecallSummary, target: string): string {
  return [
    `| ${name} | ${s.logs} | ${s.markedLines} | ${pct(s.markedLines ? s.keptLines / s.markedLines : 0)} | ${pct(s.meanShare)} | ${s.fullyKept}/${s.logs} | ${kb(s.medianBytes)} | ${kb(s.p90Bytes)} | ${target} |`,
  ].join("\n");
}

export const RECALL_HEADER = [
  "| set | logs | marked lines | marked lines kept | mean share per log | logs fully kept | median excerpt | p90 excerpt | target |",
  "|---|---|---|---|---|---|---|---|---|",
].join("\n");

/** Per fold, then the tuning folds, the held-out folds and all: mean share per log and excerpt sizes. */
export function foldTable(
  name: string,
  rows: ScoredLog[],
  folds: { count: number; tuning: readonly number[]; heldOut: readonly number[] },
): string {
  const line = (label: string, subset: ScoredLog[]) => {
    const s = summarise(subset, 0);
    const repos = new Set(subset.map((r) => r.repository)).size;
    return `| ${name} | ${label} | ${repos} | ${s.logs} | ${pct(s.meanShare)} | ${s.fullyKept}/${s.logs} | ${kb(s.medianBytes)} | ${kb(s.p90Bytes)} |`;
  };
  const out = [
    "| set | fold | repositories | logs | mean share per log | logs fully kept | median excerpt | p90 excerpt |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (let f = 0; f < folds.count; f++) {
    const role = folds.heldOut.includes(f) ? "held out" : "tuning";
    out.push(
      line(
        `${f} (${role})`,
        rows.filter((r) => r.fold === f),
      ),
    );
  }
  out.push(
    line(
      `**tuning ${folds.tuning.join("+")}**`,
      rows.filter((r) => folds.tuning.includes(r.fold)),
    ),
  );
  out.push(
    line(
      `**held out ${folds.heldOut.join("+")}**`,
      rows.filter((r) => folds.heldOut.includes(r.fold)),
    ),
  );
  out.push(line("**all**", rows));
  return out.join("\n");
}

/** Median and p90 of the diagnosis prompt, in characters and estimated tokens. */
export function promptCostRow(name: string, s: RecallSummary, charsPerToken: number): string {
  const tok = (c: number) => Math.round(c / charsPerToken).toLocaleString("en-US");
  const ch = (c: number) => Math.round(c).toLocaleString("en-US");
  return `| ${name} | ${s.logs} | ${ch(s.medianPromptChars)} | ${tok(s.medianPromptChars)} | ${ch(s.p90PromptChars)} | ${tok(s.p90PromptChars)} |`;
}
