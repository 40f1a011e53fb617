import type { FailureCategory } from "../logs/types.js";
import { DIAGNOSIS_LIMITS } from "./schema.js";
import type { Diagnosis, DiagnosisInput, JobEvidence } from "./types.js";
import { neutralizeText, safeRepoPaths } from "./untrusted-text.js";

const LABEL: Record<FailureCategory, string> = {
  compile: "a compilation error",
  test: "failing tests",
  lint: "lint errors",
  dependency: "a dependency installation problem",
  network: "a network error",
  timeout: "a timeout",
  oom: "the runner running out of memory",
  permissions: "a permissions problem",
  "workflow-config": "a workflow configuration error",
  git: "a git or checkout failure",
  "tool-config": "a tool configuration error",
  runtime: "an error raised while a script or program ran",
  unknown: "an error that could not be classified",
};

const ADVICE: Record<FailureCategory, string> = {
  compile: "Fix the compiler errors listed above; they point at the exact files and lines.",
  test: "Run the failing tests locally and check whether the code or the test expectations changed.",
  lint: "Run the linter locally (with `--fix` where the tool supports it) and fix the remaining findings.",
  dependency:
    "Check the lockfile and the versions you depend on; a removed, yanked or conflicting package is the usual cause.",
  network:
    "This looks transient: re-run the job. If it persists, check the registry or service the step downloads from.",
  timeout:
    "Find what hangs or slowed down (a test waiting on I/O, an infinite loop), or raise `timeout-minutes` if the work legitimately grew.",
  oom: "Reduce memory use (fewer parallel workers, a smaller `--max-old-space-size`-style limit) or use a larger runner.",
  permissions: "Check the workflow's `permissions:` block and the secrets/tokens the step uses.",
  "workflow-config": "Check the workflow file for a syntax error, a wrong action version or a missing input.",
  git: "Check the git commands of the step: uncommitted changes before a pull or rebase, a rejected push, a missing ref or branch.",
  "tool-config":
    "Check the tool's configuration file or options named in the error (a plugin, preset, target or script that does not exist).",
  runtime: "Fix the error raised by the script or program the step ran; the stack trace points at the line.",
  unknown: "Read the end of the failed step's log below; the error is usually in the last lines.",
};

const ERROR_LINE = /\b(?:error|failed|failure|fatal|exception|panic|cannot|not found|denied|timed? ?out)\b|✗|✖/i;

/**
 * The diagnosis ci-medic can stand behind without a model: the category from the log rules, the first located
 * errors, the failing command and the last error lines. Low confidence by construction.
 */
export function deterministicDiagnosis(input: DiagnosisInput, reason?: string): Diagnosis {
  const primary = input.jobs.find((j) => j.category !== "unknown") ?? input.jobs[0];
  const category: FailureCategory = primary?.category ?? "unknown";
  const annotations = input.jobs.flatMap((j) => j.annotations.filter((a) => a.level === "failure"));
  const first = annotations[0];
  const step = primary?.failedSteps[0];

  const where = primary
    ? `\`${oneLine(primary.jobName, 80)}\`${step ? ` (step \`${oneLine(step, 80)}\`)` : ""}`
    : "The run";
  const summary = first
    ? `${where} failed with ${LABEL[category]}: ${first.path}:${first.startLine} ${oneLine(first.title, 40)} ${oneLine(first.message, 120)}`
    : `${where} failed with ${LABEL[category]}.`;

  const cause: string[] = [];
  if (annotations.length) {
    cause.push(
      `${annotations.length} error${annotations.length === 1 ? "" : "s"} located in the repository; the first:`,
    );
    for (const a of annotations.slice(0, 3))
      cause.push(`- \`${a.path}:${a.startLine}\` ${oneLine(a.title, 40)}: ${oneLine(a.message, 200)}`);
  }
  if (primary?.failedCommand) cause.push(`Failing command: \`${oneLine(primary.failedCommand, 200)}\``);
  const lastErrors = primary ? lastErrorLines(primary, 5) : [];
  if (lastErrors.length) cause.push("Last error lines of the log:", "```", ...lastErrors, "```");
  if (input.jobs.length > 1)
    cause.push(
      `${input.jobs.length} jobs failed: ${input.jobs
        .map((j) => j.jobName)
        .slice(0, 5)
        .join(", ")}.`,
    );
  if (!cause.length) cause.push("The log did not show a recognisable error line.");

  const fix = [ADVICE[category]];
  if (primary?.failedCommand) fix.push(`Reproduce locally with \`${oneLine(primary.failedCommand, 200)}\`.`);

  return {
    summary: neutralizeText(summary, DIAGNOSIS_LIMITS.summary),
    rootCause: neutralizeText(cause.join("\n"), DIAGNOSIS_LIMITS.rootCause),
    category,
    confidence: annotations.length ? 0.3 : category !== "unknown" ? 0.2 : 0.1,
    suggestedFix: neutralizeText(fix.join(" "), DIAGNOSIS_LIMITS.suggestedFix),
    files: safeRepoPaths(
      annotations.map((a) => a.path),
      10,
    ),
    source: "deterministic",
    ...(reason ? { fallbackReason: reason } : {}),
  };
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").replace(/`/g, "'").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function lastErrorLines(job: JobEvidence, n: number): string[] {
  const lines = job.excerpt.split("\n").filter((l) => ERROR_LINE.test(l) && !/^\s*\[…/.test(l));
  // ``` inside would close our code fence early.
  return lines.slice(-n).map((l) => l.replace(/`{3,}/g, "'''").slice(0, 300));
}
