import type { Annotation, FailureCategory, LogAnalysis } from "../logs/types.js";

/** What ci-medic tells the maintainer. Produced by the LLM (validated) or by deterministic rules. */
export interface Diagnosis {
  summary: string;
  rootCause: string;
  category: FailureCategory;
  /** 0..1 */
  confidence: number;
  suggestedFix: string;
  /** Repository-relative paths the diagnosis says are involved. */
  files: string[];
  source: "llm" | "deterministic";
  /** Model name when source is "llm". */
  model?: string;
  /** What the model calls cost (answers given, tokens, time), also when the diagnosis fell back to the rules. */
  usage?: { calls: number; promptTokens: number; outputTokens: number; latencyMs: number };
  /** Why the LLM was not used or failed, when the deterministic diagnosis was posted instead. */
  fallbackReason?: string;
}

/** One failed job's evidence, already redacted. */
export interface JobEvidence {
  jobName: string;
  jobUrl?: string;
  failedSteps: string[];
  failedCommand?: string;
  excerpt: string;
  annotations: Annotation[];
  category: FailureCategory;
  fingerprint: string;
  truncated: boolean;
  /**
   * When the job's last passing run was compared: 0-based indexes of the excerpt's lines that run printed too. The
   * prompt marks every other line as new since the last green run.
   */
  seenInBaseline?: number[];
}

export interface DiagnosisInput {
  repository: string;
  workflowName: string;
  /** The workflow file at the head SHA (untrusted, may be truncated). */
  workflowFile?: string;
  headBranch: string | null;
  headSha: string;
  jobs: JobEvidence[];
  /** Sanitised per-repository extra instructions from config. */
  extraInstructions?: string;
}

/** The evidence of one job whose log was analysed with nothing else known about it (the CLI, the evaluation). */
export function evidenceOfLog(jobName: string, r: LogAnalysis): JobEvidence {
  return {
    jobName,
    failedSteps: r.failedSteps,
    ...(r.failedCommand ? { failedCommand: r.failedCommand } : {}),
    excerpt: r.excerpt,
    annotations: r.annotations,
    category: r.category,
    fingerprint: r.fingerprint,
    truncated: r.truncated,
    ...(r.seenInBaseline ? { seenInBaseline: r.seenInBaseline } : {}),
  };
}
