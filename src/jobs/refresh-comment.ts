import type { Context } from "probot";
import type { RepoConfig } from "../config/schema.js";
import type { Runtime } from "../runtime.js";
import { type ApprovalView, diagnosisView, postStickyComment } from "./publish-diagnosis.js";
import { storedDiagnosis, storedEvidence } from "./stored.js";
import type { ThreadAnalysis } from "./thread-analysis.js";

/** Re-renders the sticky comment of a diagnosis with what became of it (fix PR opened, rejected, refused). */
export async function refreshComment(
  rt: Runtime,
  context: Context,
  analysis: ThreadAnalysis,
  thread: number,
  config: RepoConfig,
  approval: ApprovalView,
): Promise<void> {
  if (!analysis.diagnosis) return;
  const view = diagnosisView(
    analysis,
    analysis.jobs.map(storedEvidence),
    { diagnosis: storedDiagnosis(analysis.diagnosis) },
    {
      minConfidence: config.approval.minConfidence,
      flaky: analysis.diagnosis.flaky,
      approval,
    },
  );
  try {
    await postStickyComment(rt, context.octokit, analysis, thread, view);
  } catch (error) {
    // The reply in the thread already told the maintainer; a stale comment is not worth failing the job for.
    context.log.warn({ err: error }, "could not update the diagnosis comment");
  }
}
