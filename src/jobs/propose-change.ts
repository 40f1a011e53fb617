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
import { holdsFirstProposal } from "./first-proposal.js";
import {
  attemptLabel,
  changeSize,
  contentHash,
  cumulativeChanges,
  cumulativeLimitReasons,
  parseChanges,
  patchStats,
  storedReasons,
} from "./fix-chain.js";
import { showFixState } from "./fix-report.js";
import { budgetExceeded, type ModelUsage, type OverBudget, recordUsage } from "./llm-budget.js";
import { replyOnce } from "./reply.js";
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
  /** Who asked (`comment:<id>`, `button:<delivery>`, `run:<id>:<attempt>`): a retry of that job finds its own proposal. */
  requestKey: string;
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
  | { kind: "no-proposal" }
  /** A daily LLM limit is reached: the model was not asked. */
  | { kind: "over-budget"; over: OverBudget }
  /** A first proposal whose claim another request took (a hint) before it was shown: stored as superseded, not shown. */
  | { kind: "replaced" };

/**
 * Asks the model for a change, validates it, and shows it in the thread as a diff. Nothing is pushed here: the row
 * becomes `shown` only once the comment holding the diff exists, and `/approve` applies a `shown` row only.
 *
 * A job can die anywhere in here and be retried, so each step leaves what the next try needs (one row per request,
 * unique on the fix and `requestKey`):
 * - before the row exists, nothing was kept but the model's answer, which the retry asks for again (a row made
 *   before the model call would save nothing: the answer is what a retry needs);
 * - a `draft` row holds the validated answer (changes, hash, refusal reasons): the retry does not ask the model again,
 *   and since the comment may have been posted just before the job died, it carries a hidden marker naming the row,
 *   which the retry looks for among ci-medic's recent comments in the thread before posting;
 * - a row past `draft` is done: the retry redoes only what is safe to repeat (the sticky comment) and returns.
 */
export async function proposeChange(rt: Runtime, context: Context, req: ProposalRequest): Promise<ProposalOutcome> {
  const { fix } = req;
  const log = context.log.child({ fixId: fix.id, attempt: req.attempt, request: req.requestKey });
  const own = await rt.db.fixProposal.findUnique({
    where: { fixId_requestKey: { fixId: fix.id, requestKey: req.requestKey } },
  });
  if (own && own.state !== "draft") {
    log.info({ state: own.state }, "this request's proposal was made by an earlier try");
    return finish(rt, context, req, own);
  }
  if (own) log.info({ proposal: own.id }, "resuming this request's proposal: the model's answer is stored");
  const asked = own ? { kind: "draft" as const, draft: own } : await askForDraft(rt, context, req, log);
  if (asked.kind !== "draft") return asked;
  return publish(rt, context, req, asked.draft, { retried: own !== null });
}

/**
 * The model's change, validated and stored as this request's `draft`; or why there is none. The daily LLM limits are
 * checked before the model is asked, and what it cost is counted whatever came of it.
 */
async function askForDraft(
  rt: Runtime,
  context: Context,
  req: ProposalRequest,
  log: Context["log"],
): Promise<
  { kind: "draft"; draft: ProposalRow } | Extract<ProposalOutcome, { kind: "no-proposal" } | { kind: "over-budget" }>
> {
  const { fix, analysis, config } = req;
  const over = await budgetExceeded(rt, fix.installationId, fix.repository, config);
  if (over) {
    log.info({ limit: over.limit }, "LLM budget reached; the model is not asked for a fix");
    return { kind: "over-budget", over };
  }
  const { owner, repo } = context.repo();
  const diagnosis = storedDiagnosis(analysis.diagnosis!);
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
  const usage: ModelUsage = { calls: 0, tokens: 0 };
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
      { provider: config.llm.model ? rt.llm!.withModel(config.llm.model) : rt.llm!, log, usage },
    );
  } catch (error) {
    log.warn({ err: error }, "the model did not produce a usable fix");
    return { kind: "no-proposal" };
  } finally {
    await recordUsage(rt, fix.installationId, fix.repository, usage);
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
  if (reasons.length > 0) {
    log.info({ reasons }, "fix refused by validation");
    rt.metrics.approvalsRefused.inc({ reason: "validation" });
  }
  const draft = await rt.db.fixProposal.create({
    data: {
      fixId: fix.id,
      attempt: req.attempt,
      state: "draft",
      requestKey: req.requestKey,
      parentSha: req.parentSha,
      changes: JSON.stringify(changes),
      contentHash: contentHash(changes),
      explanation: proposal.explanation,
      testsAreWrong: proposal.testsAreWrong,
      reasons: reasons.length ? storedReasons(reasons) : null,
      requestedBy: req.requestedBy,
      note: req.note || null,
    },
  });
  return { kind: "draft", draft };
}

/**
 * Posts the draft (the diff, the refusal, or a fork's patch), then records what it became. Everything is rendered
 * from the stored row, so a retry posts the same text the first try did or would have.
 */
async function publish(
  rt: Runtime,
  context: Context,
  req: ProposalRequest,
  draft: ProposalRow,
  opts: { retried: boolean },
): Promise<ProposalOutcome> {
  const { fix, analysis, config } = req;
  if (!req.followUp && !(await holdsFirstProposal(rt, fix.id, req.requestKey))) {
    // A request with a hint took the first proposal over while the model answered this one: the hinted change is the
    // one to show, and showing this one after it would replace it.
    await rt.db.fixProposal.update({ where: { id: draft.id }, data: { state: "superseded" } });
    context.log.info({ proposal: draft.id }, "not shown: another request took over the first proposal meanwhile");
    return { kind: "replaced" };
  }
  const changes = parseChanges(draft.changes);
  const attemptText = req.followUp ? ` for ${attemptLabel(req.attempt, fix.maxAttempts)}` : "";
  const post = (body: string) =>
    replyOnce(rt, context, fix.thread, body, {
      key: `proposal:${draft.id}`,
      retried: opts.retried,
      since: draft.createdAt,
    });
  const refuse = async (reasons: string[]) => {
    const commentId = await post(renderRefusal(reasons, attemptText));
    const row = await rt.db.fixProposal.update({
      where: { id: draft.id },
      data: { state: "refused", reasons: storedReasons(reasons), commentId: BigInt(commentId) },
    });
    return finish(rt, context, req, row);
  };

  if (draft.reasons) return refuse(draft.reasons.split("\n"));

  if (req.fork) {
    const patch = renderForkSuggestion(changes, {
      approvedBy: req.requestedBy,
      runUrl: analysis.runUrl,
      explanation: draft.explanation,
    });
    const commentId = await post(
      `${patch}\n\n_ci-medic cannot verify this change: it has no branch in this repository to run CI on._`,
    );
    const row = await rt.db.fixProposal.update({
      where: { id: draft.id },
      data: { state: "suggested", approvedBy: req.requestedBy, commentId: BigInt(commentId) },
    });
    return finish(rt, context, req, row);
  }

  const size = changeSize(cumulativeChanges([...(req.followUp?.applied ?? []), changes]));
  const body = renderProposal({
    attempt: req.attempt,
    maxAttempts: fix.maxAttempts,
    changes,
    stats: patchStats(changes),
    limits: config.fix,
    total: req.followUp ? size : undefined,
    explanation: draft.explanation,
    contentHash: draft.contentHash,
    ciFiles: ciExecutedFiles(changes.map((c) => c.path)),
    target:
      req.followUp && fix.branch
        ? { kind: "fix-branch", branch: fix.branch, prUrl: fix.prUrl ?? undefined }
        : { kind: "new-branch", branch: fixBranchName(Number(analysis.runId), analysis.runAttempt) },
    previousFailure: req.followUp?.failure,
    autoApply: req.followUp ? config.fix.autoApplyFollowUps : false,
  });
  if (!body) return refuse(["The proposed change is too large to show in a comment, so it cannot be approved."]);
  // Whatever was shown before for this fix is no longer what `/approve` applies.
  await rt.db.fixProposal.updateMany({ where: { fixId: fix.id, state: "shown" }, data: { state: "superseded" } });
  const commentId = await post(body);
  const shown = await rt.db.fixProposal.update({
    where: { id: draft.id },
    data: { state: "shown", commentId: BigInt(commentId) },
  });
  return finish(rt, context, req, shown);
}

/** What follows a proposal that is posted: repeated as a whole by a retry, so each step is safe to repeat. */
async function finish(rt: Runtime, context: Context, req: ProposalRequest, row: ProposalRow): Promise<ProposalOutcome> {
  const { fix, config } = req;
  // The sticky comment shows a first proposal only while nothing was pushed (a retry may come after a push).
  const firstShown = !req.followUp && fix.state === "proposed";
  if (row.state === "refused") {
    const reasons = (row.reasons ?? "").split("\n").filter(Boolean);
    if (firstShown)
      await showFixState(rt, context, fix, config, { state: "refused", reason: reasons[0] }, req.requestedBy);
    return { kind: "refused", reasons };
  }
  if (row.state === "suggested") {
    await rt.db.fix.update({
      where: { id: fix.id },
      data: { state: "suggested", detail: "a fork's pull request: posted as a patch, cannot be verified" },
    });
    return { kind: "suggested" };
  }
  // shown, or since then superseded, claimed or applied by an approval: it was shown, nothing more to do here.
  if (firstShown && row.state === "shown")
    await showFixState(rt, context, fix, config, { state: "proposed" }, req.requestedBy);
  return { kind: "shown", proposal: row };
}
