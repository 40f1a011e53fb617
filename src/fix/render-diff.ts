// Text renderings of a validated patch: a git-style unified diff (PR bodies, the fork fallback) and GitHub suggestion
// blocks. The content came from a model, so every fence is longer than any backtick run inside it.

import { type DiffOp, lineDiff } from "./line-diff.js";
import type { FileChange } from "./validate-patch.js";

/** A Markdown fence of `char` longer than any run of it in `content` (at least three). */
export function fenceFor(content: string, char: "`" | "~" = "`"): string {
  let longest = 0;
  const re = char === "`" ? /`+/g : /~+/g;
  for (const m of content.matchAll(re)) longest = Math.max(longest, m[0].length);
  return char.repeat(Math.max(3, longest + 1));
}

export interface FileSummary {
  path: string;
  added: number;
  removed: number;
  isNew: boolean;
}

export function summarise(changes: readonly FileChange[]): FileSummary[] {
  return changes.map((c) => {
    const d = lineDiff(c.before ?? "", c.after);
    return { path: c.path, added: d.added, removed: d.removed, isNew: c.before === null };
  });
}

interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  ops: DiffOp[];
}

function hunks(ops: readonly DiffOp[], context: number): Hunk[] {
  // Old and new line numbers (1-based) of each op.
  const oldNo: number[] = [];
  const newNo: number[] = [];
  let o = 1;
  let n = 1;
  for (const op of ops) {
    oldNo.push(o);
    newNo.push(n);
    if (op.op !== "+") o++;
    if (op.op !== "-") n++;
  }
  const changed = ops.flatMap((op, i) => (op.op === " " ? [] : [i]));
  const out: Hunk[] = [];
  let i = 0;
  while (i < changed.length) {
    const first = changed[i]!;
    let last = first;
    while (i + 1 < changed.length && changed[i + 1]! - last <= 2 * context + 1) last = changed[++i]!;
    i++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length - 1, last + context);
    const slice = ops.slice(from, to + 1);
    const oldLines = slice.filter((x) => x.op !== "+").length;
    const newLines = slice.filter((x) => x.op !== "-").length;
    // For an empty side, git names the line before the hunk.
    out.push({
      oldStart: oldLines === 0 ? oldNo[from]! - 1 : oldNo[from]!,
      oldLines,
      newStart: newLines === 0 ? newNo[from]! - 1 : newNo[from]!,
      newLines,
      ops: slice,
    });
  }
  return out;
}

function renderLine(op: DiffOp): string {
  const text = op.text.endsWith("\n") ? op.text.slice(0, -1) : op.text;
  const marker = op.text.endsWith("\n") ? "" : "\n\\ No newline at end of file";
  return `${op.op}${text}${marker}`;
}

/** A git-style unified diff of all changes. */
export function unifiedDiff(changes: readonly FileChange[], context = 3): string {
  const parts: string[] = [];
  for (const change of changes) {
    const { ops } = lineDiff(change.before ?? "", change.after);
    parts.push(`diff --git a/${change.path} b/${change.path}`);
    if (change.before === null) parts.push("new file mode 100644", "--- /dev/null");
    else parts.push(`--- a/${change.path}`);
    parts.push(`+++ b/${change.path}`);
    for (const h of hunks(ops, context)) {
      parts.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
      for (const op of h.ops) parts.push(renderLine(op));
    }
  }
  return parts.join("\n") + (parts.length > 0 ? "\n" : "");
}

/** The unified diff in a fenced ```diff block. */
export function diffBlock(changes: readonly FileChange[], context = 3): string {
  const diff = unifiedDiff(changes, context);
  const fence = fenceFor(diff);
  return `${fence}diff\n${diff}${fence}`;
}

export interface Suggestion {
  path: string;
  /** First line (1-based, in the current file) the suggestion replaces; equals `line` for a single line. */
  startLine: number;
  /** Last line it replaces. */
  line: number;
  /** A review comment body holding a ```suggestion block. */
  body: string;
}

/**
 * One suggestion per changed region of an existing file, in the shape a pull request review comment takes
 * (`start_line`, `line`, side RIGHT). New files cannot carry suggestions and are left to the diff.
 */
export function suggestions(change: FileChange): Suggestion[] {
  if (change.before === null) return [];
  const { ops } = lineDiff(change.before, change.after);
  const oldLines = ops.filter((o) => o.op !== "+");
  const out: Suggestion[] = [];
  for (const h of hunks(ops, 0)) {
    let start = h.oldStart;
    let end = h.oldStart + h.oldLines - 1;
    let replacement = h.ops.filter((o) => o.op === "+").map((o) => o.text);
    if (h.oldLines === 0) {
      // A pure insertion: a suggestion must replace at least one line, so it takes a neighbour along.
      if (h.oldStart >= 1) {
        start = end = h.oldStart;
        replacement = [oldLines[h.oldStart - 1]!.text, ...replacement];
      } else {
        if (oldLines.length === 0) continue;
        start = end = 1;
        replacement = [...replacement, oldLines[0]!.text];
      }
    }
    const text = replacement.map((t) => (t.endsWith("\n") ? t : `${t}\n`)).join("");
    const fence = fenceFor(text);
    out.push({ path: change.path, startLine: start, line: end, body: `${fence}suggestion\n${text}${fence}` });
  }
  return out;
}
