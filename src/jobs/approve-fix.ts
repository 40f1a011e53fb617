import type { RepoConfig } from "../config/schema.js";
import { headState } from "../github/head-moved.js";
import { redact } from "../logs/redact.js";
import { headOf } from "../output/cut-text.js";
import type { Runtime } from "../runtime.js";
import { applyChange } from "./apply-change.js";
import type { CommandRequest } from "./command-request.js";
import { ENDED_STATES, fixForAnalysis, WATCHED_STATES } from "./fix-chain.js";
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
    return say(
      `The fix for this diagnosis has ended (${existing.state}${existing.prUrl ? `: ${existing.prUrl}` : ""}); ci-medic does nothing more for it.`,
    );
  }
  if (existing && WATCHED_STATES.has(existing.state)) {
    const followUp = await rt.db.fixProposal.findFirst({
      where: { fixId: existing.id, state: "shown", attempt: existing.attempts + 1 },
      orderBy: { id: "desc" },
    });
    if (!followUp) return say(`A fix for this diagnosis is already open: ${existing.prUrl ?? `#${existing.prNumber}`}`);
    if (hint)
      return say(
        "A hint only shapes the first proposal; the follow-up shown above is what `/approve` pushes, and `/reject` stops the attempts.",
      );
    const unseen = notSeenBy(request, followUp);
    if (unseen) return say(unseen);
    return applyChange(rt, context, { fix: existing, proposal: followUp, analysis, config, approvedBy: actor.login });
  }

  const fix = existing ?? (await fixForAnalysis(rt, analysis, thread, config.fix.maxAttempts));
  const shown = hint
    ? null
    : await rt.db.fixProposal.findFirst({
        where: { fixId: fix.id, state: "shown", attempt: 1 },
        orderBy: { id: "desc" },
      });
  if (shown) {
    const unseen = notSeenBy(request, shown);
    if (unseen) return say(unseen);
    return applyChange(rt, context, { fix, proposal: shown, analysis, config, approvedBy: actor.login });
  }

  // Checked before the model is asked too: a change for an old commit is not worth showing.
  const head = await headNow(context, analysis);
  if (head === "closed") return say("This pull request is closed, so ci-medic proposes no fix for it.");
  if (head === "moved") {
    return say(
      `@${actor.login} new commits arrived since this diagnosis (of \`${analysis.headSha.slice(0, 7)}\`). Run \`/diagnose\` if it still fails, then \`/approve\` again.`,
    );
  }
  const outcome = await proposeChange(rt, context, {
    fix,
    analysis,
    config,
    attempt: 1,
    parentSha: analysis.headSha,
    requestedBy: actor.login,
    note: hint,
    fork: isFork(analysis, repository),
  });
  log.info({ outcome: outcome.kind }, "fix proposal made");
  if (outcome.kind === "no-proposal")
    return say(
      "ci-medic could not get a usable fix from the model this time. You can try `/approve <hint>` with more guidance.",
    );
}

/**
 * Why this request may not apply the shown change, if it may not: only a comment written after the change was shown
 * (the row became `shown` at `updatedAt`) approves that change.
 */
function notSeenBy(request: CommandRequest, shown: { updatedAt: Date }): string | undefined {
  if (!request.writtenAt)
    return "The change shown in this thread is pushed only by an `/approve` comment written after it was shown; the button does not push it.";
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
