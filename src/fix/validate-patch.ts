// The gate between a model's proposal and a branch. The model only returns data; this decides, deterministically and
// before anything is written, whether that data may become a commit. Every refusal is a sentence a maintainer can act on.

import { findSecretsInContent } from "../logs/redact.js";
import { DEFAULT_MAX_BYTES, preflight, unsafeCharacters, utf8Bytes } from "./content-rules.js";
import { type DiffOp, lineDiff } from "./line-diff.js";
import { checkPackageScripts } from "./package-scripts.js";
import { deniedBy, holdsSecrets, isInstallerConfig, isTestPath, normalisePath } from "./paths.js";
import { secretExposure } from "./secret-exposure.js";
import { hasInlineTests, testConfigWeakening, testWeakening } from "./test-weakening.js";

/** Structurally the same as `FixProposal` in src/diagnosis/propose-fix.ts. */
export type ProposedEdit = { path: string; search: string; replace: string } | { path: string; content: string };

export interface PatchProposal {
  edits: readonly ProposedEdit[];
  explanation: string;
  testsAreWrong: boolean;
}

export interface PatchLimits {
  maxFiles: number;
  maxChangedLines: number;
  /** Most bytes (UTF-8) of added lines; defaults to DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  deniedPaths: readonly string[];
  allowTestEdits: boolean;
  /** The diagnosis' verdict that the test itself is wrong; test edits need this and `allowTestEdits`. */
  testsAreWrong: boolean;
}

export interface FileChange {
  path: string;
  /** Content at the head SHA; null for a new file. */
  before: string | null;
  after: string;
}

export interface PatchStats {
  files: number;
  added: number;
  removed: number;
  /** UTF-8 bytes of the added lines. */
  bytes: number;
}

export type PatchVerdict = { ok: true; changes: FileChange[]; stats: PatchStats } | { ok: false; reasons: string[] };

/** Whole-file replacement is for new or small files; a large file rewritten wholesale hides what changed. */
export const MAX_WHOLE_FILE_LINES = 200;

export function validatePatch(
  proposal: PatchProposal,
  files: ReadonlyMap<string, string>,
  limits: PatchLimits,
): PatchVerdict {
  const reasons: string[] = [];
  if (!Array.isArray(proposal.edits) || proposal.edits.length === 0) {
    return { ok: false, reasons: ["The proposal contains no edits."] };
  }
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const tooBig = preflight(proposal.edits, { maxFiles: limits.maxFiles, maxBytes });
  if (tooBig) return { ok: false, reasons: [tooBig] };

  // Edits to one file apply in the order given, to the result of the previous one.
  const working = new Map<string, { before: string | null; current: string | null }>();
  proposal.edits.forEach((edit, index) => {
    const label = `edit ${index + 1}`;
    const checked = normalisePath(typeof edit.path === "string" ? edit.path : "");
    if (!checked.ok) return void reasons.push(checked.reason);
    const path = checked.path;
    const denied = deniedBy(path, limits.deniedPaths);
    if (denied) return void reasons.push(`${path} is a protected path (${denied}); ci-medic does not change it.`);
    if (isInstallerConfig(path))
      return void reasons.push(`${path} configures the package manager; ci-medic does not change it.`);
    if (holdsSecrets(path))
      return void reasons.push(`${path} holds secrets by convention; ci-medic neither reads nor changes it.`);

    let state = working.get(path);
    if (!state) {
      const original = files.get(path) ?? (edit.path !== path ? files.get(edit.path) : undefined) ?? null;
      state = { before: original, current: original };
      working.set(path, state);
    }
    const applied = applyEdit(path, label, state.current, state.before, edit);
    if (!applied.ok) return void reasons.push(applied.reason);
    state.current = applied.content;
  });
  if (reasons.length > 0) return { ok: false, reasons };

  const changes: FileChange[] = [];
  const stats: PatchStats = { files: 0, added: 0, removed: 0, bytes: 0 };
  const testEditsAllowed = limits.testsAreWrong && limits.allowTestEdits;
  for (const [path, { before, current }] of working) {
    if (current === null || current === before) continue;
    const after = current;
    const diff = lineDiff(before ?? "", after);
    stats.files++;
    stats.added += diff.added;
    stats.removed += diff.removed;
    stats.bytes += diff.ops.reduce((n, o) => (o.op === "+" ? n + utf8Bytes(o.text) : n), 0);
    reasons.push(...contentProblems(path, before, after, diff.ops));
    reasons.push(...testConfigWeakening(path, before, after));
    if ((isTestPath(path) || hasInlineTests(before)) && before !== null && !testEditsAllowed) {
      const weakening = testWeakening(path, before, after, diff.ops);
      if (weakening.length > 0) {
        reasons.push(...weakening);
        reasons.push(
          limits.testsAreWrong
            ? "The diagnosis says the test itself is wrong, but this repository's config does not allow test edits (fix.allowTestEdits)."
            : "Test changes like these are only accepted when the diagnosis says the test itself is wrong.",
        );
      }
    }
    changes.push({ path, before, after });
  }
  if (changes.length === 0 && reasons.length === 0)
    return { ok: false, reasons: ["The proposed edits change nothing."] };
  if (stats.files > limits.maxFiles) {
    reasons.push(
      `The fix changes ${stats.files} files; this repository allows at most ${limits.maxFiles} (fix.maxFiles).`,
    );
  }
  const changed = stats.added + stats.removed;
  if (changed > limits.maxChangedLines) {
    reasons.push(
      `The fix changes ${changed} lines (+${stats.added} −${stats.removed}); this repository allows at most ${limits.maxChangedLines} (fix.maxChangedLines).`,
    );
  }
  if (stats.bytes > maxBytes) {
    reasons.push(`The fix adds ${stats.bytes} bytes; this repository allows at most ${maxBytes} (fix.maxBytes).`);
  }
  if (reasons.length > 0) return { ok: false, reasons: [...new Set(reasons)] };
  return { ok: true, changes, stats };
}

type Applied = { ok: true; content: string } | { ok: false; reason: string };

function applyEdit(
  path: string,
  label: string,
  current: string | null,
  original: string | null,
  edit: ProposedEdit,
): Applied {
  if ("content" in edit && typeof edit.content === "string") {
    if (original !== null && original.split("\n").length > MAX_WHOLE_FILE_LINES) {
      return {
        ok: false,
        reason: `${label} replaces all of ${path}, which has more than ${MAX_WHOLE_FILE_LINES} lines; only targeted search/replace edits are accepted for it.`,
      };
    }
    return { ok: true, content: edit.content };
  }
  if (!("search" in edit) || typeof edit.search !== "string" || typeof edit.replace !== "string") {
    return { ok: false, reason: `${label} for ${path} has neither a search/replace pair nor whole-file content.` };
  }
  if (current === null)
    return { ok: false, reason: `${label} edits ${path}, which does not exist at the failing commit.` };
  if (edit.search === "") return { ok: false, reason: `${label} for ${path} has an empty search text.` };

  let search = edit.search;
  let replace = edit.replace;
  let hits = occurrences(current, search);
  // Models write "\n"; a CRLF file needs "\r\n" for the same text.
  if (hits === 0 && current.includes("\r\n") && !search.includes("\r\n")) {
    search = search.replace(/\n/g, "\r\n");
    replace = replace.replace(/\r?\n/g, "\r\n");
    hits = occurrences(current, search);
  }
  if (hits === 0) return { ok: false, reason: `${label} does not apply: its search text was not found in ${path}.` };
  if (hits > 1)
    return {
      ok: false,
      reason: `${label} is ambiguous: its search text appears ${hits} times in ${path}; it must match exactly once.`,
    };
  const at = current.indexOf(search);
  // Slicing, not String.replace: `$&` and friends in the replacement must stay literal.
  return { ok: true, content: current.slice(0, at) + replace + current.slice(at + search.length) };
}

/** Counts matches, overlapping ones included (bounded: past two the answer is "too many" anyway). */
function occurrences(text: string, search: string): number {
  let n = 0;
  for (let at = text.indexOf(search); at >= 0 && n < 1000; at = text.indexOf(search, at + 1)) n++;
  return n;
}

function contentProblems(path: string, before: string | null, after: string, ops: readonly DiffOp[]): string[] {
  const reasons: string[] = [];
  if (after.includes("\u0000"))
    reasons.push(`The new content of ${path} contains NUL bytes; ci-medic does not write binary files.`);
  const added = ops.filter((o) => o.op === "+").map((o) => o.text);
  const addedText = added.join("");
  const characters = unsafeCharacters(addedText);
  if (characters) reasons.push(`The change to ${path} adds ${characters}; ci-medic does not write them.`);
  const secrets = findSecretsInContent(addedText);
  if (secrets.length > 0) reasons.push(`The change to ${path} adds secret-looking content (${secrets.join(", ")}).`);
  for (const line of added) {
    const what = secretExposure(line);
    if (what) {
      reasons.push(
        `The change to ${path} adds a line that ${what}; ci-medic never adds code that exposes the CI environment.`,
      );
      break;
    }
  }
  if (/(?:^|\/)package\.json$/i.test(path)) {
    const scripts = checkPackageScripts(path, before, after);
    if (!scripts.ok) reasons.push(scripts.reason);
  }
  return reasons;
}
