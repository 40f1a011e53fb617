import { loadRepoConfig } from "../config/load-config.js";
import type { EventJobPayload } from "../job-kinds.js";
import { inlineCode } from "../output/markdown.js";
import { PermanentJobError } from "../queue/errors.js";
import type { JobHandler } from "../queue/worker.js";
import type { Runtime } from "../runtime.js";
import { repositoryContext } from "./event-context.js";
import { endFix, showFixState, tellBothThreads } from "./fix-report.js";

/** What the housekeeping schedule enqueues for a fix whose commit saw no run in time. */
export interface FixTimeoutPayload {
  fixId: number;
  tipSha: string;
}

/**
 * No workflow ran on ci-medic's latest fix commit within fix.verifyTimeoutMinutes: say so rather than wait silently.
 * Usually the workflows do not run for pull requests into the branch the fix targets.
 */
export function fixTimeoutJob(rt: Runtime): JobHandler {
  return async (job) => {
    const { fixId, tipSha } = job.payload as FixTimeoutPayload;
    const fix = await rt.db.fix.findUnique({ where: { id: fixId } });
    const log = rt.log.child({ jobId: job.id, fixId });
    if (fix?.state !== "verifying" || fix.tipSha !== tipSha)
      return log.info("skipped: the fix moved on before the time limit");
    const runs = await rt.db.fixRun.count({ where: { fixId, headSha: tipSha } });
    if (runs > 0) return log.info("skipped: a run of the fix commit arrived");
    const context = await repositoryContext(rt, job);
    const { config } = await loadRepoConfig(context);
    const minutes = config.fix.verifyTimeoutMinutes;
    const ended = await endFix(
      rt,
      fix,
      "unverifiable",
      `no workflow ran on ${tipSha.slice(0, 7)} within ${minutes} minutes`,
    );
    await showFixState(rt, context, ended, config, {
      state: "unverifiable",
      reason: `no workflow ran on its commit within ${minutes} minutes`,
    });
    const why = `No workflow ran on ci-medic's commit \`${tipSha.slice(0, 7)}\` within ${minutes} minutes (fix.verifyTimeoutMinutes), so ci-medic cannot verify ${fix.prUrl ?? "the fix"}. The usual cause: the workflows do not run for pull requests into ${inlineCode(fix.targetBranch ?? "its base branch")}.`;
    await tellBothThreads(context, fix, { thread: why, pr: why });
  };
}

/**
 * `pull_request.closed` on a fix pull request: merged or closed unmerged, recorded for the outcome statistics. A fix
 * still being verified ends here; a verified or failed one keeps its verdict and gains the merge.
 */
export function fixClosedJob(rt: Runtime): JobHandler {
  return async (job) => {
    const data = job.payload as Partial<EventJobPayload>;
    const payload = data.payload as { pull_request?: { number?: number; merged?: boolean } } | undefined;
    const number = payload?.pull_request?.number;
    if (data.event !== "pull_request" || typeof number !== "number")
      throw new PermanentJobError(`job ${job.id} does not carry a pull_request event`);
    const fix = await rt.db.fix.findFirst({ where: { repository: job.repository, prNumber: number } });
    const log = rt.log.child({ jobId: job.id, repository: job.repository, pr: number });
    if (!fix) return log.info("skipped: not a fix pull request ci-medic knows");
    const merged = payload?.pull_request?.merged === true;
    const stillOpen = ["proposed", "verifying", "unverifiable"].includes(fix.state);
    await rt.db.fix.update({
      where: { id: fix.id },
      data: { merged, closedAt: new Date(), ...(stillOpen ? { state: merged ? "merged" : "closed" } : {}) },
    });
    log.info({ merged, state: fix.state }, "fix pull request closed");
  };
}
