import type { JobEvidence } from "../diagnosis/types.js";
import { codeBlock, cutEnd, cutMiddle, inlineCode, link, safeInline, safeMarkdown } from "./markdown.js";
import { type DiagnosisView, offersFix, percent, sourceLine } from "./view.js";

export type { DiagnosisView } from "./view.js";

/** GitHub's limit for an issue comment body. */
export const COMMENT_MAX_CHARS = 65_536;

interface Budget {
  /** Characters per job excerpt; undefined = whole excerpt. */
  excerpt?: number[];
  /** Characters per free-text field (LLM prose, reasons). */
  text: number;
  /** Jobs listed by name. */
  jobs: number;
}

/**
 * The sticky comment: what failed (with links), the root cause, the suggested fix, key log lines (collapsed), the
 * confidence and source, and how to ask for a fix. Pure. Never longer than GitHub's limit: excerpts shrink first,
 * then the prose; the hidden marker is always kept, at the end.
 */
export function renderComment(view: DiagnosisView, maxChars = COMMENT_MAX_CHARS): string {
  const tail = `\n\n${view.marker}`;
  const limit = maxChars - tail.length;
  let budget: Budget = { text: Number.MAX_SAFE_INTEGER, jobs: Number.MAX_SAFE_INTEGER };
  let body = renderBody(view, budget);

  if (body.length > limit) {
    const lengths = view.jobs.map((j) => j.excerpt.length);
    const total = lengths.reduce((a, b) => a + b, 0);
    const room = Math.max(0, total - (body.length - limit) - 200 * view.jobs.length);
    budget = { ...budget, excerpt: lengths.map((n) => (total === 0 ? 0 : Math.floor((n * room) / total))) };
    body = renderBody(view, budget);
  }
  if (body.length > limit) {
    budget = { excerpt: view.jobs.map(() => 0), text: 4_000, jobs: 50 };
    body = renderBody(view, budget);
  }
  if (body.length > limit) {
    budget = { excerpt: view.jobs.map(() => 0), text: 500, jobs: 10 };
    body = renderBody(view, budget);
  }
  // Only reachable with absurd inputs (a huge workflow name); cut plainly, the marker still ends the comment.
  if (body.length > limit) body = cutEnd(body, limit);
  return body + tail;
}

function renderBody(view: DiagnosisView, budget: Budget): string {
  const { run, diagnosis: d } = view;
  const text = (s: string) => safeMarkdown(cutEnd(s, budget.text), run.repository);
  const parts: string[] = [];

  const where = run.headBranch ? ` on ${inlineCode(cutEnd(run.headBranch, 200))}` : "";
  parts.push(
    `### ci-medic: ${link(cutEnd(run.workflowName, 200), run.runUrl)} failed`,
    `Run attempt ${run.attempt}${where} at ${inlineCode(run.headSha.slice(0, 7))}.`,
  );

  if (view.jobs.length > 0) {
    const listed = view.jobs.slice(0, budget.jobs).map((job) => `- ${jobLine(job)}`);
    if (view.jobs.length > listed.length) listed.push(`- … and ${view.jobs.length - listed.length} more failed jobs`);
    parts.push(`**Failed jobs**\n${listed.join("\n")}`);
  }

  parts.push(`**Root cause**\n\n${text(d.rootCause || d.summary)}`);
  if (d.summary && d.rootCause && d.summary !== d.rootCause) parts.push(`**Summary:** ${text(d.summary)}`);
  if (d.suggestedFix) parts.push(`**Suggested fix**\n\n${text(d.suggestedFix)}`);
  if (d.files.length > 0)
    parts.push(
      `**Files involved:** ${d.files
        .slice(0, 20)
        .map((f) => inlineCode(cutEnd(f, 200)))
        .join(", ")}`,
    );

  const excerpts = view.jobs.slice(0, budget.jobs).map((job, i) => excerptBlock(job, budget.excerpt?.[i]));
  parts.push(...excerpts.filter((s): s is string => s !== undefined && s !== ""));
  if (excerpts.includes(undefined))
    parts.push("_Some log excerpts were left out to fit GitHub's comment size limit; see the job logs._");

  parts.push(
    `Category: **${safeInline(d.category)}** · confidence: ${percent(d.confidence)} · source: ${safeInline(cutEnd(sourceLine(d), budget.text))}`,
  );
  if (view.seen) {
    const times = view.seen.count === 1 ? "once" : `${view.seen.count} times`;
    parts.push(`Seen ${times} since ${view.seen.since.toISOString().slice(0, 10)}.`);
  }
  if (view.flaky) {
    parts.push(
      "> [!NOTE]\n> This failure is marked as flaky: it passed on a rerun before. A rerun is the likely fix; no fix PR is offered.",
    );
  }
  const approval = approvalLine(view, budget.text);
  if (approval) parts.push(approval);
  parts.push(commandsLine(view));
  return parts.filter((p) => p !== "").join("\n\n");
}

function jobLine(job: JobEvidence): string {
  const steps = job.failedSteps.slice(0, 5).map((s) => inlineCode(cutEnd(s, 200)));
  const more = job.failedSteps.length > 5 ? ` and ${job.failedSteps.length - 5} more` : "";
  const stepText = steps.length ? ` — failed step ${steps.join(", ")}${more}` : "";
  return `${link(cutEnd(job.jobName, 200), job.jobUrl)}${stepText}`;
}

/** The collapsed key lines of one job; undefined when its excerpt had to be left out for size. */
function excerptBlock(job: JobEvidence, max: number | undefined): string | undefined {
  if (!job.excerpt.trim()) return "";
  if (max !== undefined && max < 200) return undefined;
  const title = `Key log lines: ${safeInline(cutEnd(job.jobName, 200))}`;
  const excerpt =
    max === undefined ? job.excerpt : cutMiddle(job.excerpt, max, "… [excerpt shortened to fit GitHub's limit] …");
  const note = job.truncated ? "\n\n_Parts of the log were left out; the full log is on the job page._" : "";
  return `<details><summary>${title}</summary>\n\n${codeBlock(excerpt, "text")}${note}\n\n</details>`;
}

function approvalLine(view: DiagnosisView, maxText: number): string | undefined {
  const a = view.approval;
  if (!a) return undefined;
  const who = inlineCode(cutEnd(a.by, 100));
  const reason = a.reason ? `: ${safeInline(cutEnd(a.reason, Math.min(maxText, 1_000)))}` : "";
  switch (a.state) {
    case "opened":
      return `**Fix:** requested by ${who}; ${a.prUrl ? link("fix pull request", a.prUrl) : "a fix pull request"} opened.`;
    case "pending":
      return `**Fix:** requested by ${who}; ci-medic is working on it.`;
    case "rejected":
      return `**Fix:** declined by ${who}${reason}.`;
    default:
      return `**Fix:** the request by ${who} ended as ${safeInline(a.state)}${reason}.`;
  }
}

function commandsLine(view: DiagnosisView): string {
  if (offersFix(view)) {
    return [
      "**Want a fix?** Reply with a comment:",
      "- `/approve` — ci-medic opens a pull request with a validated fix",
      "- `/approve <hint>` — the same, with a hint on how to fix it",
      "- `/reject` — this diagnosis is wrong or not wanted",
    ].join("\n");
  }
  if (view.flaky || view.approval) return "";
  return `_No automatic fix is offered: the confidence is below ${percent(view.minConfidence)}. Reply \`/reject\` if this diagnosis is wrong._`;
}
