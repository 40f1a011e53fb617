import type { JobEvidence } from "../diagnosis/types.js";
import { codeBlock, cutEnd, cutMiddle, inlineCode, link, plainLine, safeInline, safeMarkdown } from "./markdown.js";
import { type DiagnosisView, percent, sourceLine } from "./view.js";

/** GitHub's limits for check run output. */
export const CHECK_TITLE_MAX_CHARS = 255;
export const CHECK_TEXT_MAX_CHARS = 65_535;

export interface CheckRunOutput {
  title: string;
  summary: string;
  text: string;
}

/**
 * The check run's output. Title: one line, e.g. "test: 3 failing tests in src/sum.test.ts". Summary: the diagnosis.
 * Text: the key log lines of each failed job. Pure; each part within GitHub's limits (excerpts shrink first).
 */
export function renderCheckRun(
  view: Pick<DiagnosisView, "run" | "jobs" | "diagnosis" | "seen" | "flaky">,
  maxChars = CHECK_TEXT_MAX_CHARS,
): CheckRunOutput {
  const d = view.diagnosis;
  const headline = (d.summary || d.rootCause || "CI failure").replace(/\s+/g, " ").trim();
  const title = plainLine(`${d.category}: ${headline}`, CHECK_TITLE_MAX_CHARS);
  return { title, summary: summary(view, maxChars), text: text(view.jobs, maxChars) };
}

function summary(view: Pick<DiagnosisView, "run" | "jobs" | "diagnosis" | "seen" | "flaky">, maxChars: number): string {
  const build = (maxText: number) => {
    const d = view.diagnosis;
    const parts = [
      `**${link(cutEnd(view.run.workflowName, 200), view.run.runUrl)}** failed (attempt ${view.run.attempt}).`,
      `**Root cause**\n\n${safeMarkdown(cutEnd(d.rootCause || d.summary, maxText), view.run.repository)}`,
    ];
    if (d.suggestedFix)
      parts.push(`**Suggested fix**\n\n${safeMarkdown(cutEnd(d.suggestedFix, maxText), view.run.repository)}`);
    if (view.jobs.length > 0) {
      parts.push(
        `**Failed jobs**\n${view.jobs
          .slice(0, 50)
          .map((j) => `- ${jobLine(j)}`)
          .join("\n")}`,
      );
    }
    parts.push(
      `Category: **${safeInline(d.category)}** · confidence: ${percent(d.confidence)} · source: ${safeInline(cutEnd(sourceLine(d), 500))}`,
    );
    if (view.seen) parts.push(`Seen ${view.seen.count} times since ${view.seen.since.toISOString().slice(0, 10)}.`);
    if (view.flaky) parts.push("This failure is marked as flaky.");
    return parts.join("\n\n");
  };
  let out = build(Number.MAX_SAFE_INTEGER);
  if (out.length > maxChars) out = build(Math.floor(maxChars / 4));
  return cutEnd(out, maxChars);
}

function jobLine(job: JobEvidence): string {
  const steps = job.failedSteps.slice(0, 5).map((s) => inlineCode(cutEnd(s, 200)));
  return `${link(cutEnd(job.jobName, 200), job.jobUrl)}${steps.length ? ` — ${steps.join(", ")}` : ""}`;
}

function text(jobs: JobEvidence[], maxChars: number): string {
  const build = (max?: number[]) =>
    jobs
      .filter((j) => j.excerpt.trim())
      .map((j, i) => {
        const limit = max?.[i];
        const excerpt =
          limit === undefined
            ? j.excerpt
            : cutMiddle(j.excerpt, limit, "… [excerpt shortened to fit GitHub's limit] …");
        return `### Key log lines: ${safeInline(cutEnd(j.jobName, 200))}\n\n${codeBlock(excerpt, "text")}`;
      })
      .join("\n\n");
  let out = build();
  if (out.length > maxChars) {
    const withText = jobs.filter((j) => j.excerpt.trim());
    const total = withText.reduce((n, j) => n + j.excerpt.length, 0);
    const room = Math.max(0, total - (out.length - maxChars) - 200 * withText.length);
    out = build(withText.map((j) => Math.floor((j.excerpt.length * room) / Math.max(1, total))));
  }
  return cutEnd(out, maxChars);
}
