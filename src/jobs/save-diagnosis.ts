import type { Db } from "../db/client.js";
import type { Decision } from "./decide-diagnosis.js";

/** Stores the decision before anything is posted, so a retry posts the same diagnosis without a second LLM call. */
export async function saveDiagnosis(
  db: Db,
  analysisId: number,
  fingerprint: string,
  decision: Decision,
): Promise<void> {
  const d = decision.diagnosis;
  const data = {
    source: decision.reused ? "reused" : d.source,
    model: d.model ?? null,
    summary: d.summary,
    rootCause: d.rootCause,
    category: d.category,
    confidence: d.confidence,
    suggestedFix: d.suggestedFix,
    files: JSON.stringify(d.files),
    fingerprint,
    promptTokens: d.usage?.promptTokens ?? 0,
    outputTokens: d.usage?.outputTokens ?? 0,
    latencyMs: d.usage?.latencyMs ?? 0,
    fallbackReason: d.fallbackReason ?? null,
  };
  await db.diagnosis.upsert({ where: { analysisId }, create: { analysisId, ...data }, update: data });
}
