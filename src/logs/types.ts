// Shared shapes of the log-intelligence module. Pure data: no GitHub, no LLM.

export type AnnotationLevel = "failure" | "warning" | "notice";

/** One toolchain error located in the repository, ready to become a check-run annotation. */
export interface Annotation {
  /** Repository-relative POSIX path, never absolute, never under node_modules. */
  path: string;
  startLine: number;
  endLine?: number;
  column?: number;
  level: AnnotationLevel;
  /** Short title, e.g. "TS2322" or "eslint(no-unused-vars)". */
  title: string;
  message: string;
  /** Which parser produced it: "tsc", "eslint", "vitest", "pytest", "gha-command", ... */
  tool: string;
}

export type FailureCategory =
  | "compile"
  | "test"
  | "lint"
  | "dependency"
  | "network"
  | "timeout"
  | "oom"
  | "permissions"
  | "workflow-config"
  | "git"
  | "tool-config"
  | "runtime"
  | "unknown";

export const FAILURE_CATEGORIES: readonly FailureCategory[] = [
  "compile",
  "test",
  "lint",
  "dependency",
  "network",
  "timeout",
  "oom",
  "permissions",
  "workflow-config",
  "git",
  "tool-config",
  "runtime",
  "unknown",
];

/** A step as the jobs API reports it (`GET /repos/{o}/{r}/actions/runs/{id}/jobs` -> jobs[].steps[]). */
export interface StepInfo {
  name: string;
  number: number;
  conclusion: string | null;
  status?: string;
  started_at?: string | null;
  completed_at?: string | null;
}

export interface AnalyzeOptions {
  /** Steps of the job from the jobs API; the ones with conclusion "failure" are looked at first. */
  steps?: StepInfo[];
  /** Excerpt budget in characters (about 4 chars per token; default 32_000 ≈ 8k tokens). */
  maxExcerptChars?: number;
  /** Repository name ("owner/repo" or "repo"), helps strip runner work-dir prefixes. */
  repository?: string;
  /** The lines of the job's last passing run: the failed log's other lines rank first (see baseline.ts). */
  baseline?: { has(cleanedLine: string): boolean };
}

export interface LogAnalysis {
  /** Redacted, the part of the log that explains the failure; cut markers say what was left out. */
  excerpt: string;
  /** Redacted annotations (messages are redacted too). */
  annotations: Annotation[];
  category: FailureCategory;
  /** Stable across reruns and commits of the same failure; hex string. */
  fingerprint: string;
  /** True when the excerpt left out lines of the failed step / log. */
  truncated: boolean;
  /** Names of the failed steps found (from the API or from the log's structure). */
  failedSteps: string[];
  /** The command of the failed step, when the log shows it (the `##[group]Run ...` block), redacted. */
  failedCommand?: string;
  /** Total lines read. */
  lineCount: number;
  /** The error line(s) a person would quote (at most 3, redacted), without the runner's `##[error]` prefix. */
  keyLines: string[];
  /**
   * With a baseline: 0-based indexes of the excerpt's lines that the passing run printed too; every other line
   * (cut markers aside) is new since the last green run.
   */
  seenInBaseline?: number[];
}
