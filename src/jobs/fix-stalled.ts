import type { FixStalledPayload } from "../job-kinds.js";
import { link } from "../output/markdown.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { followUpShown, isStale } from "./claims.js";
import { repositoryContext } from "./event-context.js";
import { attemptLabel, ENDED_STATES, WATCHED_STATES } from "./fix-chain.js";
import { approvedByText } from "./fix-report.js";
import { replyOnce } from "./reply.js";

/**
 * Nothing takes over a stale claim until someone asks again, and nobody knows to: the failing run's follow-up never
 * came, or the approved change was never pushed, and the thread says nothing. So the thread is told, and the claim given
 * back, so that what the message suggests works (a re-run makes the follow-up; `/approve` pushes the change).
 *
 * Each check is made again here, since the claim may have moved on since it was queued. The messages carry a hidden
 * marker, so a retry of this job does not post them twice. Every try looks for them (`retried: true`): `job.attempts`
 * is no sign of a first try, since a wait for a rate limit or a graceful release gives back the attempt of a try that
 * may have posted.
 */
export function fixStalledJob(rt: Runtime): JobHandler {
  return async (job) => {
    const { fixId, claim } = job.payload as FixStalledPayload;
    const log = rt.log.child({ jobId: job.id, fixId, claim: claim.key });
    const fix = await rt.db.fix.findUnique({ where: { id: fixId } });
    if (!fix || ENDED_STATES.has(fix.state)) return log.info("skipped: the fix has ended");
    if (claim.kind === "next") {
      if (!WATCHED_STATES.has(fix.state) || fix.nextBy !== claim.key || !isStale(fix.updatedAt, rt.settings.jobLeaseMs))
        return log.info("skipped: what follows the attempt moved on since the claim was found stale");
      // A follow-up was shown (or more): `/approve` decides from here, nothing is stuck.
      if (await followUpShown(rt.db, fixId, claim.key)) return log.info("skipped: the follow-up was shown");
      const run = await failedRun(rt, fixId, claim.key);
      const label = attemptLabel(fix.attempts, fix.maxAttempts);
      const text = `ci-medic's job that decides what follows ${label} (after ${run ? link("the failed run", run) : "its failed run"}) stopped before it finished, so no follow-up was proposed. Re-run the failed jobs and ci-medic tries again.`;
      const context = await repositoryContext(rt, job);
      const since = fix.updatedAt;
      await replyOnce(rt, context, fix.thread, text, { key: `stalled:${claim.key}`, retried: true, since });
      if (fix.prNumber)
        await replyOnce(rt, context, fix.prNumber, text, { key: `stalled:${claim.key}:pr`, retried: true, since });
      const { count } = await rt.db.fix.updateMany({
        where: { id: fixId, nextBy: claim.key, updatedAt: fix.updatedAt },
        data: { nextBy: null },
      });
      return log.warn({ released: count === 1 }, "a stale claim on what follows an attempt: said, and given back");
    }

    const proposal = await rt.db.fixProposal.findUnique({ where: { id: claim.proposalId } });
    const stillStale =
      proposal?.state === "applying" &&
      proposal.claimedBy === claim.key &&
      isStale(proposal.updatedAt, rt.settings.jobLeaseMs);
    if (!stillStale) return log.info("skipped: the push moved on since its claim was found stale");
    const what =
      proposal.attempt > 1
        ? `${attemptLabel(proposal.attempt, fix.maxAttempts)} shown above`
        : "the change shown above";
    const text = `The push of ${what} (${approvedByText(proposal.approvedBy)}) stopped before it finished: the job pushing it failed. \`/approve\` here pushes exactly that change.`;
    const context = await repositoryContext(rt, job);
    await replyOnce(rt, context, fix.thread, text, {
      key: `stalled:${claim.key}:${proposal.id}`,
      retried: true,
      since: proposal.updatedAt,
    });
    // Shown again, with whatever commit the stopped job stored: the next `/approve` written after this message
    // continues from there.
    const { count } = await rt.db.fixProposal.updateMany({
      where: { id: proposal.id, state: "applying", claimedBy: claim.key, updatedAt: proposal.updatedAt },
      data: { state: "shown", claimedBy: null, approvedBy: null },
    });
    log.warn({ released: count === 1 }, "a stale claim on a push: said, and given back");
  };
}

/** The failed run a `run:<id>:<attempt>` claim stands for, as recorded with the fix's runs. */
async function failedRun(rt: Runtime, fixId: number, key: string): Promise<string | undefined> {
  const match = /^run:(\d+):(\d+)$/.exec(key);
  if (!match) return undefined;
  const run = await rt.db.fixRun.findUnique({
    where: { fixId_runId_runAttempt: { fixId, runId: BigInt(match[1]!), runAttempt: Number(match[2]) } },
    select: { runUrl: true },
  });
  return run?.runUrl;
}
