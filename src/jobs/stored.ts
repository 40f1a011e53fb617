import type { Diagnosis, JobEvidence } from "../diagnosis/types.js";
import type { Annotation, FailureCategory } from "../logs/types.js";

// Rows back into the shapes the renderers take: a retried or follow-up job posts exactly what was stored.

export interface StoredJob {
  name: string;
  htmlUrl: string | null;
  failedSteps: string;
  failedCommand: string | null;
  excerpt: string | null;
  annotations: string | null;
  category: string;
  fingerprint: string | null;
  logStatus: string;
}

export function storedEvidence(row: StoredJob): JobEvidence {
  return {
    jobName: row.name,
    jobUrl: row.htmlUrl ?? undefined,
    failedSteps: JSON.parse(row.failedSteps) as string[],
    failedCommand: row.failedCommand ?? undefined,
    excerpt: row.excerpt ?? "(excerpt purged after the retention period)",
    annotations: row.annotations ? (JSON.parse(row.annotations) as Annotation[]) : [],
    category: row.category as FailureCategory,
    fingerprint: row.fingerprint ?? "",
    truncated: row.logStatus === "truncated",
  };
}

export interface StoredDiagnosis {
  summary: string;
  rootCause: string;
  category: string;
  confidence: number;
  suggestedFix: string;
  files: string;
  source: string;
  model: string | null;
  fallbackReason: string | null;
}

export function storedDiagnosis(row: StoredDiagnosis): Diagnosis {
  return {
    summary: row.summary,
    rootCause: row.rootCause,
    category: row.category as FailureCategory,
    confidence: row.confidence,
    suggestedFix: row.suggestedFix,
    files: JSON.parse(row.files) as string[],
    source: row.source === "deterministic" ? "deterministic" : "llm",
    model: row.model ?? undefined,
    fallbackReason: row.fallbackReason ?? undefined,
  };
}
