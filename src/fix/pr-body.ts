// What a fix pull request and the fork fallback say. The explanation and title come from a model that read an
// attacker-controllable log: they may not ping people, hide text, close issues or inject HTML.

import { cutEnd, inlineCode, plainLine, safeMarkdown } from "../output/markdown.js";
import { diffBlock, type FileSummary, summarise } from "./render-diff.js";
import type { FileChange } from "./validate-patch.js";

/** Model prose for a pull request body or fork suggestion, through the one sanitiser (src/output/markdown.ts). */
export function sanitiseModelText(text: string, max = 4000): string {
  return safeMarkdown(cutEnd(text, max).trim());
}

/** A one-line title or commit subject (shown without Markdown, but mentions and closing keywords still act). */
export function sanitiseTitle(text: string, max = 200): string {
  return plainLine(text, max) || "Fix CI";
}

export { inlineCode };

function summaryTable(files: readonly FileSummary[]): string {
  const rows = files.map(
    (f) => `| ${inlineCode(f.path).replace(/\|/g, "\\|")}${f.isNew ? " (new)" : ""} | +${f.added} | −${f.removed} |`,
  );
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  return [
    "| File | Added | Removed |",
    "| --- | ---: | ---: |",
    ...rows,
    "",
    `**${files.length} file${files.length === 1 ? "" : "s"}, +${added} −${removed}**`,
  ].join("\n");
}

export interface PrBodyInput {
  runId: number;
  runUrl: string;
  diagnosisUrl?: string;
  approvedBy: string;
  explanation: string;
  changes: readonly FileChange[];
  branch: string;
  headSha: string;
}

function safeUrl(url: string | undefined): string | undefined {
  return url && /^https?:\/\/[^\s()<>]+$/.test(url) ? url : undefined;
}

export function renderPrBody(input: PrBodyInput): string {
  const run = safeUrl(input.runUrl);
  const diagnosis = safeUrl(input.diagnosisUrl);
  const runLink = run ? `[run ${input.runId}](${run})` : `run ${input.runId}`;
  const explanation = sanitiseModelText(input.explanation);
  return [
    `This pull request fixes the failure in ${runLink}${diagnosis ? ` (see the [diagnosis](${diagnosis}))` : ""}.`,
    "",
    `Approved by @${input.approvedBy}. ci-medic wrote the change from its diagnosis; please review it like any other contribution before merging.`,
    "",
    "### Changes",
    "",
    summaryTable(summarise(input.changes)),
    "",
    ...(explanation ? ["### Why", "", explanation, ""] : []),
    `<sub>One commit on ${inlineCode(input.branch)} on top of ${input.headSha.slice(0, 7)}, made by ci-medic.</sub>`,
  ].join("\n");
}

/** GitHub refuses comment bodies over 65,536 characters; the diff is cut well before that. */
const MAX_DIFF_CHARS = 50_000;

export interface ForkSuggestionInput {
  approvedBy: string;
  runUrl?: string;
  explanation?: string;
}

/** For a fork's pull request, where ci-medic cannot push: the patch as a comment. */
export function renderForkSuggestion(changes: readonly FileChange[], input: ForkSuggestionInput): string {
  const run = safeUrl(input.runUrl);
  const explanation = input.explanation ? sanitiseModelText(input.explanation, 2000) : "";
  let diff = diffBlock(changes);
  let cut = "";
  if (diff.length > MAX_DIFF_CHARS) {
    diff = diffBlock(changes, 1);
    if (diff.length > MAX_DIFF_CHARS) {
      diff = "";
      cut = "_The diff is too long to show here._";
    }
  }
  return [
    `This pull request comes from a fork, which ci-medic cannot push to, so here is the fix approved by @${input.approvedBy}${run ? ` for [the failed run](${run})` : ""} as a patch. Save it and apply it with \`git apply\`, or copy the changes by hand.`,
    "",
    summaryTable(summarise(changes)),
    "",
    ...(explanation ? [explanation, ""] : []),
    diff || cut,
  ].join("\n");
}
