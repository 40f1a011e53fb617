import type { RepoConfig } from "../config/schema.js";
import { proposeFix } from "../diagnosis/propose-fix.js";
import { headMoved } from "../fix/head-moved.js";
import { openFixPullRequest, readFilesAtSha, renderForkSuggestion } from "../fix/open-fix-pr.js";
import { holdsSecrets } from "../fix/paths.js";
import { validatePatch } from "../fix/validate-patch.js";
import { errorText, redact } from "../logs/redact.js";
import { headOf } from "../output/cut-text.js";
import { safeInline } from "../output/markdown.js";
import { retryAtOf } from "../queue/errors.js";
import type { Runtime } from "../runtime.js";
import type { CommandRequest } from "./command-request.js";
import { refreshComment } from "./refresh-comment.js";
import { reply } from "./reply.js";
import { storedDiagnosis, storedEvidence } from "./stored.js";
import { commentUrl, latestDiagnosisInThread, type ThreadAnalysis } from "./thread-analysis.js";

const MAX_FILE_BYTES = 200_000;

/**
 * `/approve [hint]` or the "Open fix PR" button: the model proposes edits as data, deterministic code validates them,
 * and only then does a branch exist. Every outcome is recorded and answered in the thread.
 */
export async function approveFix(rt: Runtime, request: CommandRequest, config: RepoConfig): Promise<void> {
  const { context, thread, actor } = request;
  const { owner, repo } = context.repo();
  const repository = `${owner}/${repo}`;
  const log = context.log.child({ thread, actor: actor.login });
  const say = (text: string) => reply(context, thread, text);

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

  const opened = await rt.db.approval.findFirst({
    where: { analysisId: analysis.id, action: "approve", state: "opened" },
  });
  if (opened) return say(`A fix for this diagnosis is already open: ${opened.fixPrUrl ?? `#${opened.fixPrNumber}`}`);

  const moved = await headMoved(context.octokit, {
    owner,
    repo,
    prNumber: analysis.prNumber ?? undefined,
    branch: analysis.headBranch ?? "",
    approvedSha: analysis.headSha,
  });
  if (moved) {
    return say(
      `@${actor.login} new commits arrived since this diagnosis (of \`${analysis.headSha.slice(0, 7)}\`). Run \`/diagnose\` if it still fails, then \`/approve\` again.`,
    );
  }

  // The hint goes to the model and into the database: secrets out, one line, cut. Shown only through the sanitiser.
  const note = redact(request.command.arg.replace(/\s+/g, " ").trim()).slice(0, 500);
  const approval = await rt.db.approval.create({
    data: {
      analysisId: analysis.id,
      action: "approve",
      actor: actor.login,
      headSha: analysis.headSha,
      note: note || null,
    },
  });
  const finish = async (state: string, detail: string, extra: Record<string, unknown> = {}) => {
    await rt.db.approval.update({
      where: { id: approval.id },
      data: { state, detail: detail.slice(0, 4000), ...extra },
    });
  };

  const diagnosis = storedDiagnosis(analysis.diagnosis);
  const evidence = analysis.jobs.map(storedEvidence);
  const files = await readFilesAtSha(context.octokit, {
    owner,
    repo,
    sha: analysis.headSha,
    // Files that hold secrets by convention are never read for the model.
    paths: diagnosis.files.filter((p) => !holdsSecrets(p)).slice(0, 10),
    maxBytes: MAX_FILE_BYTES,
  });

  let proposal;
  try {
    proposal = await proposeFix(
      {
        diagnosis,
        evidence,
        files: [...files].map(([path, content]) => ({ path, content })),
        note: note || undefined,
        extraInstructions: config.llm.instructions || undefined,
      },
      { provider: config.llm.model ? rt.llm.withModel(config.llm.model) : rt.llm, log },
    );
  } catch (error) {
    log.warn({ err: error }, "the model did not produce a usable fix");
    await finish("failed", "no usable proposal from the model");
    return say(
      "ci-medic could not get a usable fix from the model this time. You can try `/approve <hint>` with more guidance.",
    );
  }

  // Edits may name files the diagnosis did not: read them too, so validation sees the real content.
  const missing = proposal.edits.map((e) => e.path).filter((p) => !files.has(p));
  if (missing.length > 0) {
    const more = await readFilesAtSha(context.octokit, {
      owner,
      repo,
      sha: analysis.headSha,
      paths: [...new Set(missing)].slice(0, 20),
      maxBytes: MAX_FILE_BYTES,
    });
    for (const [path, content] of more) files.set(path, content);
  }
  // The "test itself is wrong" exception must come from the diagnosis, not from the proposal grading itself; the
  // stored diagnosis carries no such verdict yet, so test-weakening edits are refused.
  const verdict = validatePatch(proposal, files, { ...config.fix, testsAreWrong: false });
  if (!verdict.ok) {
    log.info({ reasons: verdict.reasons }, "fix refused by validation");
    rt.metrics.approvalsRefused.inc({ reason: "validation" });
    await finish("refused", verdict.reasons.join("\n"));
    await refreshComment(rt, context, analysis, thread, config, {
      state: "refused",
      by: actor.login,
      reason: verdict.reasons[0],
    });
    return say(
      // Reasons quote model-chosen paths and text: each goes through the sanitiser.
      `ci-medic refused the proposed fix:\n\n${verdict.reasons.map((r) => `- ${safeInline(r, repository)}`).join("\n")}\n\nNothing was pushed.`,
    );
  }

  if (isFork(analysis, repository)) {
    const body = renderForkSuggestion(verdict.changes, {
      approvedBy: actor.login,
      runUrl: analysis.runUrl,
      explanation: proposal.explanation,
    });
    await finish("suggested", "fork pull request: patch posted in the thread");
    return say(body);
  }

  let result;
  try {
    result = await openFixPullRequest(context.octokit, {
      owner,
      repo,
      baseBranch: analysis.headBranch ?? "",
      headSha: analysis.headSha,
      runId: Number(analysis.runId),
      runUrl: analysis.runUrl,
      diagnosisUrl: commentUrl(analysis, thread),
      title: headOf(`Fix CI: ${diagnosis.summary}`, 200),
      changes: verdict.changes,
      approvedBy: actor.login,
      draft: config.fix.draft,
      explanation: proposal.explanation,
    });
  } catch (error) {
    if (retryAtOf(error)) throw error; // rate limited: the job comes back later
    log.error({ err: error }, "could not write the fix branch or pull request");
    await finish("failed", errorText(error));
    return say(
      "ci-medic could not write the fix branch or open the pull request; the details are in the app's log. Nothing was force-pushed.",
    );
  }
  if (result.kind === "branch-conflict") {
    await finish("failed", `branch ${result.branch} exists with other commits`);
    return say(
      `The branch \`${result.branch}\` already exists with commits ci-medic did not make, so it was left alone. Delete it and \`/approve\` again.`,
    );
  }
  await finish("opened", result.kind, {
    fixBranch: result.branch,
    fixPrNumber: result.prNumber,
    fixPrUrl: result.prUrl,
  });
  await refreshComment(rt, context, analysis, thread, config, {
    state: "opened",
    by: actor.login,
    prUrl: result.prUrl,
  });
  log.info({ pr: result.prNumber, kind: result.kind }, "fix pull request ready");
  if (result.kind === "opened") rt.metrics.fixPrsOpened.inc();
  return say(`Opened ${result.prUrl} with the fix, as approved by @${actor.login}. Please review it before merging.`);
}

function isFork(analysis: ThreadAnalysis, repository: string): boolean {
  return analysis.headRepository !== null && analysis.headRepository.toLowerCase() !== repository.toLowerCase();
}
