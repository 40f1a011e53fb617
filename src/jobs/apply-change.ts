import type { Context } from "probot";
import type { RepoConfig } from "../config/schema.js";
import type { Db } from "../db/client.js";
import { fixCommitMessage } from "../fix/fix-branch.js";
import { type FileChange, type ProposedEdit, validatePatch } from "../fix/validate-patch.js";
import type { Fix, FixProposal } from "../generated/prisma/client.js";
import {
  branchTip,
  createFixCommit,
  fastForwardBranch,
  type OpenFixResult,
  openFixPullRequest,
} from "../github/fix-pull-request.js";
import { headState, pullIsOpen } from "../github/head-moved.js";
import { headOf } from "../output/cut-text.js";
import { safeInline } from "../output/markdown.js";
import { retryAtOf } from "../queue/errors.js";
import type { Runtime } from "../runtime.js";
import {
  appliedChanges,
  attemptLabel,
  contentHash,
  cumulativeChanges,
  cumulativeLimitReasons,
  parseChanges,
} from "./fix-chain.js";
import { endFix, showFixState } from "./fix-report.js";
import { reply } from "./reply.js";
import { storedDiagnosis } from "./stored.js";
import { commentUrl, type ThreadAnalysis } from "./thread-analysis.js";

export interface ApplyRequest {
  fix: Fix;
  proposal: FixProposal;
  analysis: ThreadAnalysis;
  config: RepoConfig;
  approvedBy: string;
  /** The request pushing it (`comment:<id>`, `run:<id>:<attempt>`): its claim on the proposal, kept across retries. */
  claimKey: string;
  /** A stale claim of another request's, as read, that this request takes over (claims.ts). */
  takeOver?: { claimedBy: string; updatedAt: Date };
}

/** Pushed here (or stopped here, with the reason said), or not touched: another request's job holds the push. */
export type ApplyResult = { kind: "done" } | { kind: "held"; proposal: FixProposal };

/**
 * Pushes a shown proposal, byte for byte, after checking again, right before the push, everything that could have
 * changed since it was shown: a `/reject`, the pull request closed, its head moved, the fix branch moved, the
 * repository's limits. Any of them stops the push and says why.
 *
 * Only the job that claimed the proposal pushes it: two approvals at once (two replicas, a redelivery, a button and a
 * comment) race for one conditional update; the winner's reply ("Opened …") says what happened, and the caller of the
 * loser says, if anyone asked, that the change is being pushed.
 */
export async function applyChange(rt: Runtime, context: Context, req: ApplyRequest): Promise<ApplyResult> {
  const log = context.log.child({ fixId: req.fix.id, attempt: req.proposal.attempt, claim: req.claimKey });
  const claimed = await claimProposal(rt.db, req);
  if (claimed.kind === "held") {
    log.info(
      { claimedBy: claimed.proposal.claimedBy, state: claimed.proposal.state },
      "not pushed here: another approval's job is pushing this change, or has pushed it",
    );
    return claimed;
  }
  if (req.takeOver) log.warn({ staleClaim: req.takeOver.claimedBy }, "took over a stale claim on this push");
  await pushClaimed(rt, context, { ...req, proposal: claimed.proposal }, log);
  return { kind: "done" };
}

/**
 * shown → applying in one conditional update, so exactly one job wins. The same update renews a claim this request
 * already holds (a retried job: its `updatedAt` moves, so the claim is not stale while its holder lives), and takes over
 * a stale claim exactly as it was read. The row as claimed, with the commit an earlier try stored, or the row as
 * another request holds it.
 */
export async function claimProposal(
  db: Db,
  req: Pick<ApplyRequest, "proposal" | "claimKey" | "approvedBy" | "takeOver">,
): Promise<{ kind: "claimed"; proposal: FixProposal } | { kind: "held"; proposal: FixProposal }> {
  const { id } = req.proposal;
  const { count } = await db.fixProposal.updateMany({
    where: {
      id,
      OR: [
        { state: "shown" },
        { state: "applying", claimedBy: req.claimKey },
        ...(req.takeOver
          ? [{ state: "applying", claimedBy: req.takeOver.claimedBy, updatedAt: req.takeOver.updatedAt }]
          : []),
      ],
    },
    data: { state: "applying", claimedBy: req.claimKey, approvedBy: req.approvedBy },
  });
  const proposal = await db.fixProposal.findUniqueOrThrow({ where: { id } });
  return count === 1 ? { kind: "claimed", proposal } : { kind: "held", proposal };
}

async function pushClaimed(rt: Runtime, context: Context, req: ApplyRequest, log: Context["log"]): Promise<void> {
  const { fix, proposal, analysis, config } = req;
  const { owner, repo } = context.repo();
  const say = (text: string) => reply(context, fix.thread, text);
  const changes = parseChanges(proposal.changes);
  const followUp = proposal.attempt > 1;
  const label = attemptLabel(proposal.attempt, fix.maxAttempts);

  const rejected = await rt.db.approval.findFirst({
    where: { analysisId: analysis.id, action: "reject", createdAt: { gte: proposal.createdAt } },
  });
  if (rejected) {
    await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { state: "rejected" } });
    log.info("not pushed: the change was declined after it was shown");
    await say(`@${rejected.actor} declined this fix with \`/reject\` after it was shown, so nothing was pushed.`);
    return;
  }

  const problems = revalidate(changes, proposal, config, followUp ? await appliedChanges(rt, fix.id) : []);
  if (problems.length > 0) {
    await rt.db.fixProposal.update({
      where: { id: proposal.id },
      data: { state: "refused", reasons: problems.join("\n").slice(0, 4000) },
    });
    log.info({ problems }, "not pushed: the shown change no longer passes validation");
    await say(
      `The change shown for ${label} no longer passes validation, so nothing was pushed:\n\n${problems.map((p) => `- ${safeInline(p)}`).join("\n")}`,
    );
    return;
  }

  const head = await headState(context.octokit, {
    owner,
    repo,
    prNumber: analysis.prNumber ?? undefined,
    branch: analysis.headBranch ?? "",
    approvedSha: analysis.headSha,
  });
  if (head.kind === "closed") {
    await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { state: "superseded" } });
    if (followUp) await endFix(rt, fix, "closed", "the pull request was closed");
    log.info("not pushed: the pull request is closed");
    await say("This pull request is closed, so ci-medic pushed nothing.");
    return;
  }
  if (head.kind === "moved") {
    await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { state: "superseded" } });
    log.info({ head: head.sha }, "not pushed: the head moved since the change was shown");
    if (followUp) {
      await endFix(rt, fix, "stopped", "new commits on the pull request");
      await say(
        `New commits arrived on this pull request since ${label} was shown, so ci-medic pushed nothing and stops its attempts on ${fix.prUrl ?? "the fix pull request"}.`,
      );
      return;
    }
    await say(
      `@${req.approvedBy} new commits arrived since this diagnosis (of \`${analysis.headSha.slice(0, 7)}\`), so the change shown no longer applies and nothing was pushed. Run \`/diagnose\` if it still fails, then \`/approve\` again to see a new change.`,
    );
    return;
  }

  try {
    if (followUp) await pushFollowUp(rt, context, req, changes);
    else await openFirst(rt, context, req, changes);
  } catch (error) {
    if (retryAtOf(error)) throw error; // rate limited: the job comes back later, holding its claim
    log.error({ err: error }, "could not write the fix commit or pull request");
    // Shown again, so that a new `/approve` can push it (with the commit stored so far, if any).
    await rt.db.fixProposal.updateMany({
      where: { id: proposal.id, state: "applying", claimedBy: req.claimKey },
      data: { state: "shown", claimedBy: null, approvedBy: null },
    });
    await say(
      "ci-medic could not write the fix branch or open the pull request; the details are in the app's log. Nothing was force-pushed.",
    );
  }
}

/** The shown change, checked again with the repository's current rules; it must come out byte for byte the same. */
function revalidate(
  changes: FileChange[],
  proposal: FixProposal,
  config: RepoConfig,
  applied: FileChange[][],
): string[] {
  if (contentHash(changes) !== proposal.contentHash) return ["The stored change does not match what was shown."];
  const files = new Map(changes.flatMap((c) => (c.before === null ? [] : [[c.path, c.before] as const])));
  const edits: ProposedEdit[] = changes.map((c) =>
    c.before === null || c.before === ""
      ? { path: c.path, content: c.after }
      : { path: c.path, search: c.before, replace: c.after },
  );
  // Whole-file search/replace pairs stand for the change as shown (the model's own edit shapes were checked when it
  // was made); the content rules, paths and limits are what may have changed since.
  // As when it was proposed: the test-weakening exception needs the diagnosis's verdict, which is not recorded yet.
  const verdict = validatePatch({ edits, explanation: proposal.explanation, testsAreWrong: false }, files, {
    ...config.fix,
    testsAreWrong: false,
  });
  if (!verdict.ok) return verdict.reasons;
  const same =
    verdict.changes.length === changes.length &&
    verdict.changes.every((c, i) => c.path === changes[i]!.path && c.after === changes[i]!.after);
  if (!same) return ["The stored change does not match what was shown."];
  return applied.length > 0 ? cumulativeLimitReasons(cumulativeChanges([...applied, changes]), config.fix) : [];
}

async function openFirst(rt: Runtime, context: Context, req: ApplyRequest, changes: FileChange[]): Promise<void> {
  const { fix, proposal, analysis, config } = req;
  const { owner, repo } = context.repo();
  const diagnosis = storedDiagnosis(analysis.diagnosis!);
  const draftUntilVerified = config.fix.draftUntilVerified && !config.fix.draft;
  const result: OpenFixResult = await openFixPullRequest(context.octokit, {
    owner,
    repo,
    baseBranch: analysis.headBranch ?? "",
    headSha: proposal.parentSha,
    runId: Number(analysis.runId),
    runAttempt: analysis.runAttempt,
    runUrl: analysis.runUrl,
    diagnosisUrl: commentUrl(analysis, fix.thread),
    title: headOf(`Fix CI: ${diagnosis.summary}`, 200),
    changes,
    approvedBy: req.approvedBy,
    draft: config.fix.draft || draftUntilVerified,
    explanation: proposal.explanation,
    knownCommit: proposal.commitSha ?? undefined,
    onCommit: async (sha) => {
      await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { commitSha: sha } });
    },
  });
  if (result.kind === "branch-conflict") {
    await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { state: "superseded" } });
    await reply(
      context,
      fix.thread,
      `The branch \`${result.branch}\` already exists and does not hold exactly the change shown here (someone else's commits, or an earlier change), so it was left alone and nothing was pushed. Delete it and \`/approve\` again.`,
    );
    return;
  }
  const now = new Date();
  // One transaction: a retry finds either the claim to continue or the push recorded, never half of it.
  const [, updated] = await rt.db.$transaction([
    rt.db.fixProposal.update({
      where: { id: proposal.id },
      data: { state: "applied", approvedBy: req.approvedBy, commitSha: result.commitSha },
    }),
    rt.db.fix.update({
      where: { id: fix.id },
      data: {
        state: "verifying",
        branch: result.branch,
        prNumber: result.prNumber,
        prUrl: result.prUrl,
        prNodeId: result.nodeId ?? null,
        draftUntilVerified,
        tipSha: result.commitSha,
        attempts: 1,
        approvedAt: now,
        verifyDeadline: new Date(now.getTime() + config.fix.verifyTimeoutMinutes * 60_000),
      },
    }),
    rt.db.approval.create({
      data: {
        analysisId: analysis.id,
        action: "approve",
        actor: req.approvedBy,
        headSha: analysis.headSha,
        note: proposal.note,
        state: "opened",
        detail: result.kind,
        fixBranch: result.branch,
        fixPrNumber: result.prNumber,
        fixPrUrl: result.prUrl,
      },
    }),
  ]);
  await showFixState(rt, context, updated, config, { state: "verifying", attempt: attemptOf(updated) }, req.approvedBy);
  context.log.info({ pr: result.prNumber, kind: result.kind }, "fix pull request ready");
  if (result.kind === "opened") rt.metrics.fixPrsOpened.inc();
  await reply(
    context,
    fix.thread,
    `Opened ${result.prUrl} with exactly the change shown above (\`${proposal.contentHash.slice(0, 12)}\`), as approved by @${req.approvedBy}. ci-medic watches its CI and reports here whether it fixes the failure.`,
  );
}

async function pushFollowUp(rt: Runtime, context: Context, req: ApplyRequest, changes: FileChange[]): Promise<void> {
  const { fix, proposal, config, analysis } = req;
  const { owner, repo } = context.repo();
  const label = attemptLabel(proposal.attempt, fix.maxAttempts);
  const branch = fix.branch!;
  const prOpen = fix.prNumber ? await pullIsOpen(context.octokit, { owner, repo, prNumber: fix.prNumber }) : false;
  if (!prOpen) {
    await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { state: "superseded" } });
    await endFix(rt, fix, "closed", "the fix pull request was closed");
    await reply(context, fix.thread, `${fix.prUrl ?? "The fix pull request"} is closed, so ci-medic pushed nothing.`);
    return;
  }
  const tip = await branchTip(context.octokit, { owner, repo }, branch);
  let commitSha = proposal.commitSha;
  if (tip !== fix.tipSha && !(commitSha && tip === commitSha)) return stopForOthers(rt, context, fix, tip, proposal);
  if (tip !== commitSha) {
    if (!commitSha) {
      commitSha = await createFixCommit(context.octokit, {
        owner,
        repo,
        parentSha: fix.tipSha!,
        changes,
        message: fixCommitMessage({
          title: `Fix CI: ${storedDiagnosis(analysis.diagnosis!).summary}`,
          runUrl: analysis.runUrl,
          runId: Number(analysis.runId),
          approvedBy: req.approvedBy,
          attempt: proposal.attempt,
        }),
      });
      await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { commitSha } });
    }
    const moved = await fastForwardBranch(context.octokit, { owner, repo, branch, sha: commitSha });
    if (moved === "not-fast-forward") return stopForOthers(rt, context, fix, null, proposal);
  }
  const now = new Date();
  // One transaction, as for the first attempt; `nextBy` is cleared: a failing run of the new commit decides anew.
  const [, updated] = await rt.db.$transaction([
    rt.db.fixProposal.update({
      where: { id: proposal.id },
      data: { state: "applied", approvedBy: req.approvedBy },
    }),
    rt.db.fix.update({
      where: { id: fix.id },
      data: {
        state: "verifying",
        tipSha: commitSha,
        attempts: proposal.attempt,
        nextBy: null,
        detail: null,
        verifyDeadline: new Date(now.getTime() + config.fix.verifyTimeoutMinutes * 60_000),
      },
    }),
  ]);
  await showFixState(rt, context, updated, config, { state: "verifying", attempt: attemptOf(updated) });
  const short = commitSha!.slice(0, 7);
  await reply(
    context,
    fix.thread,
    `Pushed ${label} to ${fix.prUrl} as commit \`${short}\` (exactly the change shown, \`${proposal.contentHash.slice(0, 12)}\`), approved by @${req.approvedBy}. ci-medic watches its CI.`,
  );
  if (fix.prNumber)
    await reply(
      context,
      fix.prNumber,
      `ci-medic pushed ${label}: commit \`${short}\`, approved by @${req.approvedBy} in the original thread. Waiting for CI on it.`,
    );
}

async function stopForOthers(
  rt: Runtime,
  context: Context,
  fix: Fix,
  tip: string | null,
  proposal: FixProposal,
): Promise<void> {
  await rt.db.fixProposal.update({ where: { id: proposal.id }, data: { state: "superseded" } });
  await endFix(rt, fix, "stopped", `the branch moved to ${tip ? tip.slice(0, 7) : "a commit"} ci-medic did not make`);
  const text = `Someone else pushed to \`${fix.branch}\`${tip ? ` (\`${tip.slice(0, 7)}\`)` : ""}, so ci-medic pushed nothing and stops its automatic attempts; the branch is left to people.`;
  await reply(context, fix.thread, text);
  if (fix.prNumber) await reply(context, fix.prNumber, text);
}

export function attemptOf(fix: Pick<Fix, "attempts" | "maxAttempts">): { n: number; max: number } {
  return { n: fix.attempts, max: fix.maxAttempts };
}
