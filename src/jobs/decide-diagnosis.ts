import { createHash } from "node:crypto";
import type { RepoConfig } from "../config/schema.js";
import { deterministicDiagnosis } from "../diagnosis/deterministic.js";
import { diagnose } from "../diagnosis/diagnose.js";
import type { Diagnosis, DiagnosisInput, JobEvidence } from "../diagnosis/types.js";
import type { Runtime } from "../runtime.js";
import { budgetExceeded, overBudgetReason, recordUsage } from "./llm-budget.js";
import { storedDiagnosis } from "./stored.js";

export interface Decision {
  diagnosis: Diagnosis;
  /** Set when an earlier diagnosis of the same failure was reused (no LLM call). */
  seen?: { count: number; since: Date };
  reused: boolean;
}

/** One failure of a run, whatever its attempt or commit: the jobs' fingerprints in a stable order. */
export function runFingerprint(jobs: JobEvidence[]): string {
  const parts = jobs.map((j) => j.fingerprint || `unreadable:${j.jobName}`).sort();
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

/**
 * The diagnosis to post: an earlier LLM diagnosis of the same failure in this repository when there is one (no new
 * call, "seen N times"), else the LLM within the budgets, else the deterministic one with the reason.
 */
export async function decideDiagnosis(
  rt: Runtime,
  args: {
    analysisId: number;
    installationId: number;
    repository: string;
    fingerprint: string;
    /** The run's head repository (null when GitHub does not say): a fork's diagnosis is never reused for it. */
    headRepository?: string | null;
    input: DiagnosisInput;
    config: RepoConfig;
    workflowFile?: () => Promise<string | undefined>;
  },
): Promise<Decision> {
  const { db } = rt;
  const previous = await db.runAnalysis.findMany({
    where: { repository: args.repository, fingerprint: args.fingerprint, id: { not: args.analysisId } },
    select: { createdAt: true, diagnosis: true, headRepository: true },
    orderBy: { createdAt: "asc" },
  });
  const since = previous[0]?.createdAt;
  const seen = since ? { count: previous.length + 1, since } : undefined;
  // Trust follows provenance: a diagnosis written from a fork's log (or a run of unknown origin) may carry what the
  // fork's author put in it, so it is never reused for a failure on the base repository's own branches.
  const fromBase = (headRepository: string | null | undefined) =>
    !!headRepository && headRepository.toLowerCase() === args.repository.toLowerCase();
  const reusable = fromBase(args.headRepository) ? previous.filter((p) => fromBase(p.headRepository)) : previous;
  const earlier = [...reusable].reverse().find((p) => p.diagnosis && p.diagnosis.source !== "deterministic")?.diagnosis;
  if (earlier) {
    return {
      reused: true,
      seen,
      diagnosis: storedDiagnosis(earlier),
    };
  }

  const llm = rt.llm && args.config.llm.model ? rt.llm.withModel(args.config.llm.model) : rt.llm;
  if (!llm) {
    rt.metrics.fallbacks.inc({ reason: "no_provider" });
    return { reused: false, seen, diagnosis: deterministicDiagnosis(args.input, "no LLM configured") };
  }
  const over = await budgetExceeded(rt, args.installationId, args.repository, args.config);
  if (over) {
    const reason = overBudgetReason(over);
    rt.log.info({ repository: args.repository, reason }, "LLM budget reached; posting the deterministic diagnosis");
    rt.metrics.fallbacks.inc({ reason: "limit" });
    return { reused: false, seen, diagnosis: deterministicDiagnosis(args.input, reason) };
  }
  const input = args.workflowFile ? { ...args.input, workflowFile: await args.workflowFile() } : args.input;
  const diagnosis = await diagnose(input, { provider: llm, log: rt.log });
  if (diagnosis.source === "deterministic") rt.metrics.fallbacks.inc({ reason: "error" });
  if (diagnosis.usage) {
    const { calls, promptTokens, outputTokens } = diagnosis.usage;
    await recordUsage(rt, args.installationId, args.repository, { calls, tokens: promptTokens + outputTokens });
  }
  return { reused: false, seen, diagnosis };
}
