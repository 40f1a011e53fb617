// What a maintainer reads before approving a fix: the exact change, per file, with the validation verdict and, above
// it, a plain-words warning when the change touches files the repository's CI runs. `/approve` applies these bytes and
// nothing else, so the whole change must fit in the comment; one that does not cannot be approved.

import { codeBlock, inlineCode, MAX_LINE, safeInline, safeMarkdown } from "../output/markdown.js";
import type { CiExecutedFile } from "./ci-executed.js";
import { unifiedDiff } from "./render-diff.js";
import type { FileChange, PatchStats } from "./validate-patch.js";

/** Below GitHub's 65,536-character limit for a comment, with room for the text around the diff. */
export const MAX_PROPOSAL_CHARS = 60_000;
/** A file's diff longer than this many lines is collapsed under its name. */
const COLLAPSE_LINES = 15;

export interface ProposalView {
  attempt: number;
  maxAttempts: number;
  changes: readonly FileChange[];
  stats: PatchStats;
  limits: { maxFiles: number; maxChangedLines: number };
  /** Lines changed over all attempts so far, this one included (the limits count them together). */
  total?: { files: number; lines: number };
  explanation: string;
  contentHash: string;
  ciFiles: readonly CiExecutedFile[];
  /** Where `/approve` will push: a new branch (first attempt) or the fix branch (follow-ups). */
  target: { kind: "new-branch"; branch: string } | { kind: "fix-branch"; branch: string; prUrl?: string };
  /** What failed on the previous attempt's commit (follow-ups). */
  previousFailure?: string;
  /** Follow-ups are pushed without a new approval (fix.autoApplyFollowUps). */
  autoApply?: boolean;
}

/** The proposal comment, or undefined when the change is too large to show whole (and so to approve). */
export function renderProposal(view: ProposalView): string | undefined {
  const parts: string[] = [];
  const attempt = view.maxAttempts > 1 ? ` (attempt ${view.attempt} of ${view.maxAttempts})` : "";
  parts.push(`### ci-medic: proposed fix${attempt}`);
  if (view.previousFailure) parts.push(view.previousFailure);
  if (view.ciFiles.length > 0) {
    const listed = view.ciFiles.map((f) => `${inlineCode(f.path)} (${f.what})`).join(", ");
    parts.push(
      [
        "> [!WARNING]",
        `> **This change modifies files your CI executes:** ${listed}.`,
        "> Once ci-medic pushes the branch, workflows run these files with the repository's secrets. Read them before approving.",
      ].join("\n"),
    );
  }
  const { files, added, removed } = view.stats;
  const total = view.total
    ? ` Over all attempts: ${view.total.files} file${view.total.files === 1 ? "" : "s"}, ${view.total.lines} lines changed.`
    : "";
  parts.push(
    `**Validation:** passed: ${files} file${files === 1 ? "" : "s"}, +${added} −${removed} (limits: ${view.limits.maxFiles} files, ${view.limits.maxChangedLines} changed lines).${total} No protected path, lifecycle script, secret or weakened test.`,
  );
  for (const change of view.changes) {
    const block = fileBlock(change);
    if (block === undefined) return undefined;
    parts.push(block);
  }
  const explanation = safeMarkdown(view.explanation.slice(0, 2_000)).trim();
  if (explanation) parts.push(`**Why (from the model):**\n\n${explanation}`);
  parts.push(approveLine(view));
  const body = parts.join("\n\n");
  return body.length > MAX_PROPOSAL_CHARS ? undefined : body;
}

/** The file's diff as a code block, or undefined when the sanitiser would cut one of its lines (not shown whole). */
function fileBlock(change: FileChange): string | undefined {
  const diff = unifiedDiff([change]);
  const diffLines = diff.split("\n");
  if (diffLines.some((l) => l.length > MAX_LINE)) return undefined;
  const lines = diffLines.length;
  const title = `${inlineCode(change.path)}${change.before === null ? " (new file)" : ""}`;
  const block = codeBlock(diff, "diff");
  if (lines <= COLLAPSE_LINES) return `${title}\n\n${block}`;
  return `<details><summary>${title}: ${lines} lines of diff</summary>\n\n${block}\n\n</details>`;
}

function approveLine(view: ProposalView): string {
  const hash = inlineCode(view.contentHash.slice(0, 12));
  if (view.autoApply)
    return `This follow-up (change ${hash}) is pushed to ${inlineCode(view.target.branch)} without a new approval, because this repository sets \`fix.autoApplyFollowUps\`. Reply \`/reject\` to stop the attempts.`;
  const where =
    view.target.kind === "new-branch"
      ? `to a new branch ${inlineCode(view.target.branch)} and opens a pull request`
      : `as a new commit on ${inlineCode(view.target.branch)}`;
  return [
    `Reply \`/approve\` to push exactly this change (${hash}) ${where}. Nothing is pushed before that.`,
    "`/approve <hint>` asks for a different change (shown here first); `/reject` declines.",
  ].join("\n");
}

/** What the thread says when validation refused a proposal; nothing can be approved. */
export function renderRefusal(reasons: readonly string[], attempt: string): string {
  // Reasons quote model-chosen paths and text: each goes through the sanitiser.
  const list = reasons.map((r) => `- ${safeInline(r)}`).join("\n");
  return `ci-medic refused the proposed fix${attempt}:\n\n${list}\n\nNothing was pushed.`;
}
