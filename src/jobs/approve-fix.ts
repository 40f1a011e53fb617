import type { RepoConfig } from "../config/schema.js";
import type { Fix, FixProposal } from "../generated/prisma/client.js";
import { headState } from "../github/head-moved.js";
import { redact } from "../logs/redact.js";
import { headOf } from "../output/cut-text.js";
import { inlineCode } from "../output/markdown.js";
import { PermanentJobError, retryAtOf } from "../queue/errors.js";
import type { Runtime } from "../runtime.js";
import { applyChange } from "./apply-change.js";
import { isStale } from "./claims.js";
import type { CommandRequest } from "./command-request.js";
import { claimFirstProposal, releaseFirstProposal } from "./first-proposal.js";
import { ENDED_STATES, fixForAnalysis, WATCHED_STATES } from "./fix-chain.js";
import { approvedByText } from "./fix-report.js";
import { overBudgetSentence } from "./llm-budget.js";
import { proposeChange } from "./propose-change.js";
import { reply } from "./reply.js";
import { latestDiagnosisInThread, type ThreadAnalysis } from "./thread-analysis.js";

/**
 * `/approve [hint]` or the "Open fix PR" button. No model-written change reaches a branch before it was shown: when no
 * change is shown for this diagnosis (or a hint asks for another), the model proposes one, deterministic code
 * validates it and the diff goes to the thread; the next `/approve` pushes exactly that change.
 */
export async function approveFix(rt: Runtime, request: CommandRequest, config: RepoConfig): Promise<void> {
  const { context, thread, actor } = request;
  const { owner, repo } = context.repo();
  const repository = `${owner}/${repo}`;
  const log = context.log.child({ thread, actor: actor.login });
  const say = async (text: string) => void (await reply(context, thread, text));

  const analysis = await latestDiagnosisInThread(rt, repository, thread);
  if (!analysis?.diagnosis) return say("There is no ci-medic diagnosis in this thread to approve yet.");
  if (analysis.diagnosis.flaky) {
    return say(
      "This failure passed when the same commit ran again, so it looks flaky; ci-medic will not open a fix for it.",
    );
  }
  if (!rt.llm)
    return say(
      "ci-medic has no LLM configured on this installation, so it cannot write a fix. The diagnosis above still stands.",
    );

  // The hint goes to the model and into the database: secrets out, one line, cut. Shown only through the sanitiser.
  const hint = headOf(redact(request.command.arg.replace(/\s+/g, " ").trim()), 500);
  const existing = await rt.db.fix.findUnique({ where: { analysisId: analysis.id } });
  if (existing && ENDED_STATES.has(existing.state)) {
    log.info({ state: existing.state }, "approval ignored: the fix for this diagnosis has ended");
    return say(endedText(existing));
  }
  const propose = async (fix: Fix) => {
    const outcome = await proposeChange(rt, context, {
      fix,
      analysis,
      config,
      attempt: 1,
      parentSha: analysis.headSha,
      requestedBy: actor.login,
      requestKey: request.key,
      note: hint,
      fork: isFork(analysis, repository),
    }).catch(async (error: unknown) => {
      // No retry comes back for it: the claim is given back, or every `/approve` for an hour would be told that a
      // proposal is being prepared. A wait for a rate limit is not a failed try.
      const final = error instanceof PermanentJobError || (request.finalTry?.() && !retryAtOf(error));
      if (final) await releaseFirstProposal(rt, fix.id, request.key);
      throw error;
    });
    log.info({ outcome: outcome.kind }, "fix proposal made");
    await releaseFirstProposal(rt, fix.id, request.key);
    if (outcome.kind === "no-proposal")
      return say(
        "ci-medic could not get a usable fix from the model this time. You can try `/approve <hint>` with more guidance.",
      );
    if (outcome.kind === "over-budget")
      return say(
        `@${actor.login} ci-medic did not ask the model for a fix: ${overBudgetSentence(outcome.over)}. \`/approve\` again after that.`,
      );
  };
  // A retry of this request's job continues what it started: the push it claimed, or the proposal it made (finished
  // without asking the model again, and without answering as if another request had shown it).
  if (existing) {
    const mine = await rt.db.fixProposal.findFirst({
      where: { fixId: existing.id, state: "applying", claimedBy: request.key },
    });
    if (mine) return applyShown(rt, request, mine, { fix: existing, analysis, config });
    const own = await rt.db.fixProposal.findUnique({
      where: { fixId_requestKey: { fixId: existing.id, requestKey: request.key } },
    });
    if (own && own.state !== "draft") return propose(existing);
  }
  if (existing && WATCHED_STATES.has(existing.state)) {
    const followUp = await rt.db.fixProposal.findFirst({
      where: { fixId: existing.id, state: { in: ["shown", "applying"] }, attempt: existing.attempts + 1 },
      orderBy: { id: "desc" },
    });
    if (!followUp) return say(openText(existing));
    if (hint && followUp.state === "shown")
      return say(
        "A hint only shapes the first proposal; the follow-up shown above is what `/approve` pushes, and `/reject` stops the attempts.",
      );
    return applyShown(rt, request, followUp, { fix: existing, analysis, config });
  }

  const fix = existing ?? (await fixForAnalysis(rt, analysis, thread, config.fix.maxAttempts));
  // This request's draft (its job died before showing it) is shown below; otherwise the change shown by another
  // request is what this `/approve` pushes.
  const own = await rt.db.fixProposal.findUnique({
    where: { fixId_requestKey: { fixId: fix.id, requestKey: request.key } },
  });
  const current = own
    ? null
    : await rt.db.fixProposal.findFirst({
        where: { fixId: fix.id, state: { in: ["shown", "applying"] }, attempt: 1 },
        orderBy: { id: "desc" },
      });
  // A hint asks for a new change, unless the shown one is already being pushed.
  if (current && (!hint || current.state === "applying"))
    return applyShown(rt, request, current, { fix, analysis, config });

  // Checked before the model is asked too: a change for an old commit is not worth showing.
  const head = await headNow(context, analysis);
  if (head === "closed") return say("This pull request is closed, so ci-medic proposes no fix for it.");
  if (head === "moved") {
    return say(
      `@${actor.login} new commits arrived since this diagnosis (of \`${analysis.headSha.slice(0, 7)}\`). Run \`/diagnose\` if it still fails, then \`/approve\` again.`,
    );
  }
  // One request at a time prepares the first proposal (first-proposal.ts); a hint takes it over.
  const claim = await claimFirstProposal(rt, fix.id, { key: request.key, login: actor.login, hint: hint !== "" });
  if (claim.kind === "held") {
    log.info({ by: claim.by }, "approval noted: another request is preparing the first proposal");
    // Named, not mentioned: every extra `/approve` would notify them again.
    const who = claim.by ? `, requested by ${inlineCode(claim.by)}` : " by another request";
    return say(`@${actor.login} a proposal is being prepared${who}; it is shown here when the model has answered.`);
  }
  if (claim.kind === "moved-on") {
    // The first proposal was pushed (or the fix ended) while this request looked at the head.
    const now = await rt.db.fix.findUniqueOrThrow({ where: { id: fix.id } });
    log.info({ state: now.state }, "approval ignored: the fix moved on from its first proposal meanwhile");
    return say(ENDED_STATES.has(now.state) ? endedText(now) : openText(now));
  }
  if (claim.kind === "took-over") log.info("took over the first proposal from another request");
  return propose(fix);
}

/**
 * A change shown (or being pushed) for this fix: pushed by this request if it may, and once. While another approval's
 * job pushes it, this one says so; once that claim is stale (its job gone for good, claims.ts), this one takes it over.
 */
async function applyShown(
  rt: Runtime,
  request: CommandRequest,
  proposal: FixProposal,
  chain: { fix: Fix; analysis: ThreadAnalysis; config: RepoConfig },
): Promise<void> {
  const log = request.context.log.child({ thread: request.thread, proposal: proposal.id });
  const say = async (text: string) => void (await reply(request.context, request.thread, text));
  let takeOver: { claimedBy: string; updatedAt: Date } | undefined;
  if (proposal.state === "applying" && proposal.claimedBy !== request.key) {
    if (!isStale(proposal.updatedAt, rt.settings.jobLeaseMs)) {
      log.info({ claimedBy: proposal.claimedBy }, "approval noted: another approval's job is pushing this change");
      return say(beingPushed(request, proposal));
    }
    // Only a comment written after the claim takes it over: its author saw the change, and that nothing came of it.
    if (!request.writtenAt) return say(BUTTON_DOES_NOT_PUSH);
    if (request.writtenAt.getTime() < proposal.updatedAt.getTime())
      return say(
        `@${request.actor.login} the push of the change shown above stopped before it finished. \`/approve\` again to push exactly that change.`,
      );
    takeOver = { claimedBy: proposal.claimedBy ?? "", updatedAt: proposal.updatedAt };
  }
  if (proposal.state === "shown") {
    const unseen = notSeenBy(request, proposal);
    if (unseen) return say(unseen);
  }
  const result = await applyChange(rt, request.context, {
    ...chain,
    proposal,
    approvedBy: request.actor.login,
    claimKey: request.key,
    takeOver,
  });
  // Claimed by another approval in the meantime: said once. A change already pushed needs no word: that job's reply
  // ("Opened …", "Pushed …") answers this request too. A change that went another way meanwhile is said, or this
  // `/approve` would get no answer at all.
  if (result.kind !== "held") return;
  if (result.proposal.state === "applying") return say(beingPushed(request, result.proposal));
  const why = NOT_PUSHED[result.proposal.state];
  if (why) return say(`@${request.actor.login} nothing was pushed: ${why}`);
}

/** Why a change approved here was not pushed, by the state another request's job left it in. */
const NOT_PUSHED: Record<string, string> = {
  superseded:
    "the change you approved was replaced, or can no longer be pushed (ci-medic's reply above says why). Read it before you `/approve` again.",
  rejected: "it was declined with `/reject`.",
  refused: "it no longer passes validation (the reasons are above). `/approve <hint>` asks for a new proposal.",
};

function endedText(fix: Fix): string {
  return `The fix for this diagnosis has ended (${fix.state}${fix.prUrl ? `: ${fix.prUrl}` : ""}); ci-medic does nothing more for it.`;
}

function openText(fix: Fix): string {
  return `A fix for this diagnosis is already open: ${fix.prUrl ?? `#${fix.prNumber}`}`;
}

function beingPushed(request: CommandRequest, holder: FixProposal): string {
  return `@${request.actor.login} this change is being pushed right now (${approvedByText(holder.approvedBy, { mention: false })}); ci-medic says here when it is done.`;
}

const BUTTON_DOES_NOT_PUSH =
  "The change shown in this thread is pushed only by an `/approve` comment written after it was shown; the button does not push it.";

/**
 * Why this request may not apply the shown change, if it may not: only a comment written after the change was shown
 * (the row became `shown` at `updatedAt`) approves that change.
 */
function notSeenBy(request: CommandRequest, shown: { updatedAt: Date }): string | undefined {
  if (!request.writtenAt) return BUTTON_DOES_NOT_PUSH;
  if (request.writtenAt.getTime() < shown.updatedAt.getTime())
    return `@${request.actor.login} a new change was shown after your \`/approve\`, so nothing was pushed. Read it, then \`/approve\` again to push exactly that change.`;
  return undefined;
}

async function headNow(context: CommandRequest["context"], analysis: ThreadAnalysis) {
  const { owner, repo } = context.repo();
  const state = await headState(context.octokit, {
    owner,
    repo,
    prNumber: analysis.prNumber ?? undefined,
    branch: analysis.headBranch ?? "",
    approvedSha: analysis.headSha,
  });
  return state.kind;
}

/**
 * Trust follows provenance: a run whose head repository is another one, or unknown (`head_repository: null`), gets a
 * patch to apply by hand, never a branch in this repository.
 */
function isFork(analysis: ThreadAnalysis, repository: string): boolean {
  return analysis.headRepository === null || analysis.headRepository.toLowerCase() !== repository.toLowerCase();
}
