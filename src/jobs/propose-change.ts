import type { Context } from "probot";
import type { RepoConfig } from "../config/schema.js";
import { type FixProposal, proposeFix } from "../diagnosis/propose-fix.js";
import type { JobEvidence } from "../diagnosis/types.js";
import { ciExecutedFiles } from "../fix/ci-executed.js";
import { fixBranchName } from "../fix/fix-branch.js";
import { holdsSecrets } from "../fix/paths.js";
import { renderForkSuggestion } from "../fix/pr-body.js";
import { unifiedDiff } from "../fix/render-diff.js";
import { renderProposal, renderRefusal } from "../fix/render-proposal.js";
import { type FileChange, validatePatch } from "../fix/validate-patch.js";
import type { Fix, FixProposal as ProposalRow } from "../generated/prisma/client.js";
import { readFilesAtSha } from "../github/fix-pull-request.js";
import type { Runtime } from "../runtime.js";
import { attemptLabel, changeSize, contentHash, cumulativeChanges, cumulativeLimitReasons } from "./fix-chain.js";
import { showFixState } from "./fix-report.js";
import { reply } from "./reply.js";
import { storedDiagnosis, storedEvidence } from "./stored.js";
import type { ThreadAnalysis } from "./thread-analysis.js";

const MAX_FILE_BYTES = 200_000;

export interface ProposalRequest {
  fix: Fix;
  analysis: ThreadAnalysis;
  config: RepoConfig;
  attempt: number;
  /** The commit the change will apply to: the diagnosed commit, or ci-medic's latest fix commit. */
  parentSha: string;
  requestedBy: string;
  note?: string;
  /** A fork's pull request: the change is posted as a patch, never pushed. */
  fork?: boolean;
  followUp?: {
    /** The new failure's evidence (same log pipeline, same redaction). */
    evidence: JobEvidence[];
    /** What ci-medic pushed so far, attempt by attempt. */
    applied: FileChange[][];
    /** One sentence on what failed, shown above the diff. */
    failure: string;
  };
}

export type ProposalOutcome =
  | { kind: "shown"; proposal: ProposalRow }
  | { kind: "suggested" }
  | { kind: "refused"; reasons: string[] }
  | { kind: "no-proposal" };

/**
 * Asks the model for a change, validates it, and shows it in the thread as a diff. Nothing is pushed here: the row
 * becomes `shown` only once the comment holding the diff exists, and `/approve` applies a `shown` row only.
 */
export async function proposeChange(rt: Runtime, context: Context, req: ProposalRequest): Promise<ProposalOutcome> {
  const { fix, analysis, config } = req;
  const { owner, repo } = context.repo();
  const log = context.log.child({ fixId: fix.id, attempt: req.attempt });
  const diagnosis = storedDiagnosis(analysis.diagnosis!);
  const label = attemptLabel(req.attempt, fix.maxAttempts);
  const soFar = cumulativeChanges(req.followUp?.applied ?? []);

  const files = await readFilesAtSha(context.octokit, {
    owner,
    repo,
    sha: req.parentSha,
    // Files that hold secrets by convention are never read for the model.
    paths: [...soFar.map((c) => c.path), ...diagnosis.files].filter((p) => !holdsSecrets(p)).slice(0, 10),
    maxBytes: MAX_FILE_BYTES,
  });
  let proposal: FixProposal;
  try {
    proposal = await proposeFix(
      {
        diagnosis,
        evidence: req.followUp?.evidence ?? analysis.jobs.map(storedEvidence),
        files: [...files].map(([path, content]) => ({ path, content })),
        note: req.note || undefined,
        extraInstructions: config.llm.instructions || undefined,
        followUp: req.followUp ? { attempt: req.attempt, diffSoFar: unifiedDiff(soFar) } : undefined,
      },
      { provider: config.llm.model ? rt.llm!.withModel(config.llm.model) : rt.llm!, log },
    );
  } catch (error) {
    log.warn({ err: error }, "the model did not produce a usable fix");
    return { kind: "no-proposal" };
  }

  // Edits may name files the diagnosis did not: read them too, so validation sees the real content.
  const missing = [...new Set(proposal.edits.map((e) => e.path).filter((p) => !files.has(p)))];
  if (missing.length > 0) {
    const more = await readFilesAtSha(context.octokit, {
      owner,
      repo,
      sha: req.parentSha,
      paths: missing.slice(0, 20),
      maxBytes: MAX_FILE_BYTES,
    });
    for (const [path, content] of more) files.set(path, content);
  }
  // The "test itself is wrong" exception must come from the diagnosis, not from the proposal grading itself; the
  // stored diagnosis carries no such verdict yet, so test-weakening edits are refused.
  const verdict = validatePatch(proposal, files, { ...config.fix, testsAreWrong: false });
  const changes = verdict.ok ? verdict.changes : [];
  const total = cumulativeChanges([...(req.followUp?.applied ?? []), changes]);
  const reasons = verdict.ok ? (req.followUp ? cumulativeLimitReasons(total, config.fix) : []) : verdict.reasons;

  // Whatever was shown before for this fix is no longer what `/approve` applies.
  await rt.db.fixProposal.updateMany({ where: { fixId: fix.id, state: "shown" }, data: { state: "superseded" } });
  const row = await rt.db.fixProposal.create({
    data: {
      fixId: fix.id,
      attempt: req.attempt,
      state: "draft",
      parentSha: req.parentSha,
      changes: JSON.stringify(changes),
      contentHash: contentHash(changes),
      explanation: proposal.explanation,
      testsAreWrong: proposal.testsAreWrong,
      reasons: reasons.length ? reasons.join("\n").slice(0, 4000) : null,
      requestedBy: req.requestedBy,
      note: req.note || null,
    },
  });
  const attemptText = req.followUp ? ` for ${label}` : "";
  if (!verdict.ok || reasons.length > 0) {
    log.info({ reasons }, "fix refused by validation");
    rt.metrics.approvalsRefused.inc({ reason: "validation" });
    await rt.db.fixProposal.update({ where: { id: row.id }, data: { state: "refused" } });
    if (!req.followUp)
      await showFixState(rt, context, fix, config, { state: "refused", reason: reasons[0] }, req.requestedBy);
    await reply(context, fix.thread, renderRefusal(reasons, attemptText));
    return { kind: "refused", reasons };
  }

  if (req.fork) {
    const body = renderForkSuggestion(changes, {
      approvedBy: req.requestedBy,
      runUrl: analysis.runUrl,
      explanation: proposal.explanation,
    });
    await reply(
      context,
      fix.thread,
      `${body}\n\n_ci-medic cannot verify this change: it has no branch in this repository to run CI on._`,
    );
    await rt.db.fixProposal.update({
      where: { id: row.id },
      data: { state: "suggested", approvedBy: req.requestedBy },
    });
    await rt.db.fix.update({
      where: { id: fix.id },
      data: { state: "suggested", detail: "a fork's pull request: posted as a patch, cannot be verified" },
    });
    return { kind: "suggested" };
  }

  const size = changeSize(total);
  const body = renderProposal({
    attempt: req.attempt,
    maxAttempts: fix.maxAttempts,
    changes,
    stats: verdict.stats,
    limits: config.fix,
    total: req.followUp ? size : undefined,
    explanation: proposal.explanation,
    contentHash: row.contentHash,
    ciFiles: ciExecutedFiles(changes.map((c) => c.path)),
    target:
      req.followUp && fix.branch
        ? { kind: "fix-branch", branch: fix.branch, prUrl: fix.prUrl ?? undefined }
        : { kind: "new-branch", branch: fixBranchName(Number(analysis.runId), analysis.runAttempt) },
    previousFailure: req.followUp?.failure,
    autoApply: req.followUp ? config.fix.autoApplyFollowUps : false,
  });
  if (!body) {
    const reason = "The proposed change is too large to show in a comment, so it cannot be approved.";
    await rt.db.fixProposal.update({ where: { id: row.id }, data: { state: "refused", reasons: reason } });
    await reply(context, fix.thread, renderRefusal([reason], attemptText));
    return { kind: "refused", reasons: [reason] };
  }
  const commentId = await reply(context, fix.thread, body);
  const shown = await rt.db.fixProposal.update({
    where: { id: row.id },
    data: { state: "shown", commentId: BigInt(commentId) },
  });
  if (!req.followUp) await showFixState(rt, context, fix, config, { state: "proposed" }, req.requestedBy);
  return { kind: "shown", proposal: shown };
}
