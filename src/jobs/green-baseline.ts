// The last green run of a failed job, as a Baseline for its log analysis: at most two API calls per failed run (find
// the run, list its jobs; both shared by the run's failed jobs) and one log download per failed job, none when cached.

import { downloadJobLog } from "../github/download-log.js";
import { findLastGreenRun, type GreenJob, type GreenRun, listGreenJobs } from "../github/last-green-run.js";
import type { Octokit } from "../github/octokit.js";
import { Baseline } from "../logs/baseline.js";

export interface GreenBaseline {
  baseline: Baseline;
  /** The passing run the lines come from. */
  runUrl: string;
}

/** Why a job has no baseline, for the log line that says so. */
export type NoBaseline = "no green run" | "no job of that name" | "log expired";

/**
 * Baselines by (repository, workflow, job name, green commit): a rerun, or another job of the same run, reads the
 * green log once. Bounded by the lines held (fingerprints of 8 bytes and Set overhead), oldest used first out.
 */
export class BaselineCache {
  private readonly entries = new Map<string, Baseline>();
  private lines = 0;

  constructor(readonly maxLines = 2_000_000) {}

  static key(repository: string, workflowId: number, jobName: string, sha: string): string {
    return JSON.stringify([repository, workflowId, jobName, sha]);
  }

  get(key: string): Baseline | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, b: Baseline): void {
    if (b.size > this.maxLines) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.lines -= old.size;
    }
    this.entries.set(key, b);
    this.lines += b.size;
    for (const [k, v] of this.entries) {
      if (this.lines <= this.maxLines) break;
      this.entries.delete(k);
      this.lines -= v.size;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One process-wide cache: baselines hold fingerprints only, never log text. */
export const baselineCache = new BaselineCache();

export interface GreenBaselineSource {
  forJob(jobName: string): Promise<GreenBaseline | NoBaseline>;
}

/** Looks up the run lazily, once, on the first job that asks; its jobs list likewise. */
export function greenBaselines(
  octokit: Octokit,
  args: { owner: string; repo: string; workflowId: number; branch: string },
  opts: { maxBytes?: number; cache?: BaselineCache } = {},
): GreenBaselineSource {
  const cache = opts.cache ?? baselineCache;
  let run: Promise<GreenRun | undefined> | undefined;
  let jobs: Promise<Map<string, GreenJob>> | undefined;
  return {
    async forJob(jobName) {
      run ??= findLastGreenRun(octokit, args);
      const green = await run;
      if (!green) return "no green run";
      const key = BaselineCache.key(`${args.owner}/${args.repo}`, args.workflowId, jobName, green.headSha);
      const cached = cache.get(key);
      if (cached) return { baseline: cached, runUrl: green.htmlUrl };
      jobs ??= listGreenJobs(octokit, { owner: args.owner, repo: args.repo, runId: green.id });
      const job = (await jobs).get(jobName);
      if (!job) return "no job of that name";
      const download = await downloadJobLog(
        octokit,
        { owner: args.owner, repo: args.repo, jobId: job.id },
        opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {},
      );
      if (download.kind !== "ok") return "log expired";
      const baseline = Baseline.fromBytes(download.log);
      cache.set(key, baseline);
      return { baseline, runUrl: green.htmlUrl };
    },
  };
}
