import type { Context } from "probot";
import { loadRepoConfig } from "../config/load-config.js";
import type { RepoConfig } from "../config/schema.js";
import type { JobEvidence } from "../diagnosis/types.js";
import type { Fix } from "../generated/prisma/client.js";
import { markReadyForReview } from "../github/fix-pull-request.js";
import { inlineCode, link } from "../output/markdown.js";
import { RetryLaterError } from "../queue/errors.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { applyChange, attemptOf } from "./apply-change.js";
import { followUpShown, isStale, staleClaimMs } from "./claims.js";
import { collectEvidence } from "./collect-evidence.js";
import { eventContext } from "./event-context.js";
import {
  analysisOfFix,
  appliedChanges,
  attemptLabel,
  cumulativeChanges,
  parseFailedWorkflows,
  WATCHED_STATES,
} from "./fix-chain.js";
import { endFix, showFixState, tellBothThreads } from "./fix-report.js";
import { overBudgetSentence } from "./llm-budget.js";
import { proposeChange } from "./propose-change.js";
import { reply, replyOnce } from "./reply.js";
import { runAnalysisRow } from "./run-analysis-row.js";

const FAILED = new Set(["failure", "timed_out", "startup_failure"]);
/** How often a run of a commit whose push is not recorded yet looks again. */
const PUSH_WAIT_MS = 60_000;

/**
 * A completed run on one of ci-medic's fix branches: evidence about the fix. Only runs of ci-medic's latest commit
 * count; a commit by anyone else ends the automatic attempts. A failure continues the same chain (bounded by
 * fix.maxAttempts), it never starts a diagnosis of its own.
 */
export function fixRunJob(rt: Runtime): JobHandler {
  return async (job) => {
    const context = await eventContext(rt, job, "workflow_run");
    const run = context.payload.workflow_run;
    const repository = context.payload.repository.full_name;
    const log = context.log.child({ runId: run.id, branch: run.head_branch });
    const fix = await rt.db.fix.findUnique({
      where: { repository_branch: { repository, branch: run.head_branch ?? "" } },
    });
    if (!fix) return log.info("skipped: no fix of ci-medic's uses this branch");
    if (!WATCHED_STATES.has(fix.state)) return log.info({ state: fix.state }, "skipped: this fix's attempts ended");

    if (run.head_sha !== fix.tipSha) {
      const earlier = await rt.db.fixProposal.findFirst({ where: { fixId: fix.id, commitSha: run.head_sha } });
      // The commit of an attempt whose push is still being recorded: come back once it is. A push job that died after
      // the fast-forward is finished by the next `/approve`, maybe an hour later, so the wait spends no tries (five
      // would lose the run's result); it ends when the push's claim is stale (claims.ts), and the queue's ordinary
      // retries end it after that.
      if (earlier?.state === "applying" || earlier?.state === "shown") {
        const message = "a run of a fix commit whose push is not recorded yet";
        const until = earlier.updatedAt.getTime() + staleClaimMs(rt.settings.jobLeaseMs);
        if (Date.now() < until)
          throw new RetryLaterError(message, new Date(Math.min(Date.now() + PUSH_WAIT_MS, until)));
        throw new Error(message);
      }
      if (earlier) return log.info("skipped: a run of an earlier attempt's commit");
      return stopForForeignCommit(rt, context as unknown as Context, fix, run.head_sha);
    }

    const key = { fixId_runId_runAttempt: { fixId: fix.id, runId: BigInt(run.id), runAttempt: run.run_attempt } };
    const seen = await rt.db.fixRun.findUnique({ where: key });
    if (!seen) {
      await rt.db.fixRun.create({
        data: {
          fixId: fix.id,
          attempt: fix.attempts,
          runId: BigInt(run.id),
          runAttempt: run.run_attempt,
          workflowId: BigInt(run.workflow_id),
          workflowName: run.name ?? "workflow",
          headSha: run.head_sha,
          conclusion: run.conclusion ?? "unknown",
          runUrl: run.html_url,
        },
      });
    }
    const ctx = context as unknown as Context;
    const { config } = await loadRepoConfig(ctx);
    const conclusion = run.conclusion ?? "";
    if (conclusion === "action_required") {
      if (seen) return;
      return waitingForApproval(rt, ctx, fix, config, run.html_url);
    }
    if (conclusion === "success") return verifyIfComplete(rt, ctx, fix, config);
    if (FAILED.has(conclusion)) return nextAttempt(rt, context, fix, config);
    log.info({ conclusion }, "recorded: a run that neither verifies nor fails the fix");
  };
}

async function stopForForeignCommit(rt: Runtime, context: Context, fix: Fix, sha: string): Promise<void> {
  const ended = await endFix(rt, fix, "stopped", `commit ${sha.slice(0, 7)} on the branch was not made by ci-medic`);
  context.log.info({ sha }, "fix attempts stopped: someone else pushed to the fix branch");
  const { config } = await loadRepoConfig(context);
  await showFixState(rt, context, ended, config, {
    state: "stopped",
    reason: `someone else pushed ${sha.slice(0, 7)} to the branch`,
  });
  const text = `Commit \`${sha.slice(0, 7)}\` on \`${fix.branch}\` was not made by ci-medic, so ci-medic stops its automatic attempts and leaves the branch to people.`;
  await tellBothThreads(context, fix, { thread: text, pr: text });
}

async function waitingForApproval(rt: Runtime, context: Context, fix: Fix, config: RepoConfig, runUrl: string) {
  const updated = await endFix(rt, fix, "unverifiable", "a run is waiting for a maintainer to approve it");
  const where = `[the run](${runUrl}) or the Checks tab of ${fix.prUrl ?? "the fix pull request"}`;
  await showFixState(rt, context, updated, config, {
    state: "unverifiable",
    reason: "GitHub is waiting for a maintainer to approve workflow runs for the fix pull request",
  });
  await tellBothThreads(context, fix, {
    thread: `ci-medic cannot verify ${fix.prUrl ?? "the fix"} yet: GitHub holds its workflow runs until a maintainer approves them. Open ${where} and choose **Approve and run workflows**.`,
    pr: `GitHub holds this pull request's workflow runs until a maintainer approves them: open ${where} and choose **Approve and run workflows**. ci-medic reports the result once they ran.`,
  });
}

/** Verified when every workflow that failed originally succeeded on ci-medic's latest commit. */
async function verifyIfComplete(rt: Runtime, context: Context, fix: Fix, config: RepoConfig): Promise<void> {
  const workflows = parseFailedWorkflows(fix);
  const passed = await rt.db.fixRun.findMany({
    where: { fixId: fix.id, headSha: fix.tipSha!, conclusion: "success" },
    select: { workflowId: true },
  });
  const ok = new Set(passed.map((r) => String(r.workflowId)));
  const waiting = workflows.filter((w) => !ok.has(w.workflowId));
  if (waiting.length > 0) {
    context.log.info({ waiting: waiting.map((w) => w.name) }, "a workflow passed; others that failed have not yet");
    return;
  }
  const now = new Date();
  const verified = await rt.db.fix.update({
    where: { id: fix.id },
    data: {
      state: "verified",
      detail: null,
      verifiedAt: now,
      secondsToVerified: fix.approvedAt ? Math.round((now.getTime() - fix.approvedAt.getTime()) / 1000) : null,
    },
  });
  const jobs = workflows.flatMap((w) => (w.jobs.length > 0 ? w.jobs : [w.name]));
  context.log.info({ fixId: fix.id, attempts: fix.attempts }, "fix verified");
  await showFixState(rt, context, verified, config, { state: "verified", attempt: attemptOf(verified), jobs });
  const ready = fix.draftUntilVerified && fix.prNodeId ? await markReady(context, fix.prNodeId) : false;
  if (fix.prNumber) {
    const list = jobs.map((j) => inlineCode(j)).join(", ");
    await reply(
      context,
      fix.prNumber,
      `ci-medic: **verified**. ${list} failed on the original commit and pass${jobs.length === 1 ? "es" : ""} on \`${fix.tipSha!.slice(0, 7)}\` (${attemptLabel(fix.attempts, fix.maxAttempts)}).${ready ? " Marked ready for review." : ""}`,
    );
  }
}

/** Out of draft; the verdict is already stored and said, so a refusal is logged rather than retried. */
async function markReady(context: Context, nodeId: string): Promise<boolean> {
  try {
    await markReadyForReview(context.octokit, nodeId);
    return true;
  } catch (error) {
    context.log.warn({ err: error }, "could not mark the verified fix pull request ready for review");
    return false;
  }
}

async function nextAttempt(rt: Runtime, context: Context<"workflow_run">, fix: Fix, config: RepoConfig): Promise<void> {
  const ctx = context as unknown as Context;
  const run = context.payload.workflow_run;
  const label = attemptLabel(fix.attempts, fix.maxAttempts);
  const key = `run:${run.id}:${run.run_attempt ?? 1}`;
  const claim = await claimNextAttempt(rt, fix, key);
  if (claim === "taken") {
    // Two workflows failing on one commit: the first run's job makes the follow-up (or ends the chain); this run is
    // recorded with the fix's runs (FixRun) and said nowhere, so the thread gets one proposal per attempt.
    return context.log.info(
      { decidedBy: (await rt.db.fix.findUnique({ where: { id: fix.id }, select: { nextBy: true } }))?.nextBy },
      "noted: another failing run of this commit already decides what follows it",
    );
  }
  if (claim === "took-over")
    context.log.warn(
      { staleClaim: fix.nextBy },
      "took over what follows this attempt: the run that claimed it is gone",
    );
  // From here on a retry of this job repeats each step: evidence comes from the database, proposeChange finds this
  // run's proposal, the notice on the fix pull request is looked up before it is posted, and applyChange continues
  // its own claim. A follow-up shown before the job died is still pushed (fix.autoApplyFollowUps).
  const retried = claim === "resumed";

  const evidence = await fixRunEvidence(rt, context, fix);
  const failedJobs = evidence.map((e) => e.jobName);
  const jobList = failedJobs.length ? failedJobs.map((j) => inlineCode(j)).join(", ") : "the workflow";
  const failure = `${label} failed: ${jobList} in ${link(run.name ?? "workflow", run.html_url)}.`;

  const applied = await appliedChanges(rt, fix.id);
  const reasonToStop = sameFailureProblem(fix, run.workflow_id, evidence, cumulativeChanges(applied));
  if (reasonToStop || fix.attempts >= fix.maxAttempts) {
    const why = reasonToStop ?? `still failing after ${label}`;
    const ended = await endFix(rt, fix, "failed", why);
    await showFixState(rt, ctx, ended, config, {
      state: "fix-failed",
      attempt: attemptOf(ended),
      jobs: failedJobs,
      reason: reasonToStop ?? undefined,
    });
    const text = `${failure} ${reasonToStop ? `${reasonToStop}, so ci-medic stops here` : `No attempts are left (fix.maxAttempts is ${fix.maxAttempts})`}; the pull request is left to people.`;
    await tellBothThreads(ctx, fix, { thread: text, pr: text });
    return;
  }

  const analysis = await analysisOfFix(rt, fix);
  const next = fix.attempts + 1;
  const outcome = await proposeChange(rt, ctx, {
    fix,
    analysis,
    config,
    attempt: next,
    parentSha: fix.tipSha!,
    requestedBy: "ci-medic",
    requestKey: key,
    followUp: { evidence, applied, failure },
  });
  if (outcome.kind !== "shown") {
    // Over a daily LLM limit the chain stops as for any follow-up that cannot be made: only a failing run asks for a
    // follow-up, so a chain left to wait for the reset would wait for good.
    const why =
      outcome.kind === "refused"
        ? "the follow-up was refused by validation"
        : outcome.kind === "over-budget"
          ? "the daily LLM limit was reached"
          : "no usable follow-up";
    const ended = await endFix(rt, fix, "failed", why);
    await showFixState(rt, ctx, ended, config, {
      state: "fix-failed",
      attempt: attemptOf(ended),
      jobs: failedJobs,
      reason: why,
    });
    const text =
      outcome.kind === "over-budget"
        ? `${failure} ci-medic did not ask the model for ${attemptLabel(next, fix.maxAttempts)}: ${overBudgetSentence(outcome.over)}. So it stops here; the pull request is left to people.`
        : `${failure} ci-medic has ${why}, so it stops here.`;
    if (fix.prNumber) await reply(ctx, fix.prNumber, text);
    return;
  }
  const proposal = outcome.proposal;
  await showFixState(rt, ctx, fix, config, {
    state: "retrying",
    attempt: { n: next, max: fix.maxAttempts },
    jobs: failedJobs,
  });
  if (fix.prNumber) {
    const original = `${new URL(run.html_url).origin}/${fix.repository}/issues/${fix.thread}`;
    await replyOnce(
      rt,
      ctx,
      fix.prNumber,
      `${failure} ci-medic proposed ${attemptLabel(next, fix.maxAttempts)} in ${original}; ${config.fix.autoApplyFollowUps ? "it is pushed here without a new approval (fix.autoApplyFollowUps)" : "it is pushed here after `/approve` there"}.`,
      { key: `proposal:${proposal.id}:notice`, retried, since: proposal.createdAt },
    );
  }
  if (config.fix.autoApplyFollowUps) {
    await applyChange(rt, ctx, {
      fix,
      proposal,
      analysis,
      config,
      approvedBy: "ci-medic (fix.autoApplyFollowUps)",
      claimKey: key,
    });
  }
}

/**
 * One run decides what follows each attempt: a conditional update on the fix (still at this attempt and commit, no
 * run chosen yet) that only one of two concurrent jobs wins. The same run's job, retried, renews its claim (the update
 * moves `updatedAt`), and loses it if it was taken over meanwhile. A claim whose job is gone for good (stale,
 * claims.ts) is taken over by the next failing run of the commit (a re-run), on the claim and `updatedAt` as read;
 * not once its follow-up was shown, however old: that job's part is done.
 */
async function claimNextAttempt(
  rt: Runtime,
  fix: Fix,
  key: string,
): Promise<"claimed" | "resumed" | "took-over" | "taken"> {
  const current = { id: fix.id, attempts: fix.attempts, tipSha: fix.tipSha, state: { in: [...WATCHED_STATES] } };
  let expected: { nextBy: string | null; updatedAt?: Date };
  let kind: "claimed" | "resumed" | "took-over";
  if (fix.nextBy === key) [expected, kind] = [{ nextBy: key }, "resumed"];
  else if (fix.nextBy === null) [expected, kind] = [{ nextBy: null }, "claimed"];
  else if (await followUpShown(rt.db, fix.id, fix.nextBy)) return "taken";
  else if (isStale(fix.updatedAt, rt.settings.jobLeaseMs))
    [expected, kind] = [{ nextBy: fix.nextBy, updatedAt: fix.updatedAt }, "took-over"];
  else return "taken";
  const { count } = await rt.db.fix.updateMany({ where: { ...current, ...expected }, data: { nextBy: key } });
  return count === 1 ? kind : "taken";
}

/**
 * A follow-up may only work on the failure the maintainer approved a fix for. A failure in a workflow or job that did
 * not fail originally stops the chain, unless its log names a file the fix changed (the fix itself broke it).
 */
function sameFailureProblem(
  fix: Fix,
  workflowId: number,
  evidence: JobEvidence[],
  changed: { path: string }[],
): string | undefined {
  const workflows = parseFailedWorkflows(fix);
  const original = workflows.find((w) => w.workflowId === String(workflowId));
  const newJobs = evidence.filter((e) => !original?.jobs.includes(e.jobName)).map((e) => e.jobName);
  if (original && newJobs.length === 0) return undefined;
  const stemsFromFix = evidence.some((e) =>
    changed.some(
      (c) =>
        e.excerpt.includes(c.path) || e.annotations.some((a) => a.path === c.path || a.path.endsWith(`/${c.path}`)),
    ),
  );
  if (stemsFromFix) return undefined;
  return original
    ? `the run failed in jobs that did not fail originally (${newJobs.map((j) => inlineCode(j)).join(", ")}), and nothing in their logs points at the fix's files`
    : "a workflow that did not fail originally failed, and nothing in its log points at the fix's files";
}

/** The failed run's evidence through the same pipeline as any failure (logs, redaction), stored for the record. */
async function fixRunEvidence(rt: Runtime, context: Context<"workflow_run">, fix: Fix): Promise<JobEvidence[]> {
  const run = context.payload.workflow_run;
  const analysis = await rt.db.runAnalysis.upsert({
    where: {
      repository_runId_runAttempt: { repository: fix.repository, runId: BigInt(run.id), runAttempt: run.run_attempt },
    },
    // Not a thread's diagnosis (no PR, no issue, no fingerprint): only this fix chain reads it.
    create: { ...runAnalysisRow(fix.installationId, fix.repository, run, run.run_attempt), status: "fix-run" },
    update: {},
  });
  return collectEvidence(rt, context, analysis.id);
}
