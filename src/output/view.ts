import type { Diagnosis, JobEvidence } from "../diagnosis/types.js";

/** Everything the renderers show. Built by the job from stored rows, so every later update renders the same thing. */
export interface DiagnosisView {
  /** Hidden marker of the sticky comment (from commentMarker). */
  marker: string;
  run: {
    workflowName: string;
    runUrl: string;
    attempt: number;
    headSha: string;
    headBranch: string | null;
    /** "owner/name": links from untrusted text stay live only to this repository's own pages. */
    repository?: string;
  };
  jobs: JobEvidence[];
  diagnosis: Diagnosis;
  seen?: { count: number; since: Date };
  flaky?: boolean;
  /** State of a fix request: pending | opened | refused | failed | rejected | expired. */
  approval?: { state: string; by: string; prUrl?: string; reason?: string };
  /** 0..1: below it, no fix is offered. */
  minConfidence: number;
}

/** Whether the comment offers `/approve`: confident enough, not flaky, and no fix already requested or declined. */
export function offersFix(view: Pick<DiagnosisView, "diagnosis" | "flaky" | "approval" | "minConfidence">): boolean {
  if (view.flaky || view.diagnosis.confidence < view.minConfidence) return false;
  return !view.approval || ["failed", "expired", "refused"].includes(view.approval.state);
}

export function percent(confidence: number): string {
  return `${Math.round(Math.min(1, Math.max(0, confidence)) * 100)}%`;
}

export function sourceLine(d: Diagnosis): string {
  if (d.source === "llm") return `model ${d.model ?? "LLM"}`;
  return `deterministic: ${d.fallbackReason ?? "no LLM configured"}`;
}
