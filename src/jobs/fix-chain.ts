import { createHash } from "node:crypto";
import { utf8Bytes } from "../fix/content-rules.js";
import { lineDiff } from "../fix/line-diff.js";
import type { FileChange, PatchStats } from "../fix/validate-patch.js";
import type { Fix } from "../generated/prisma/client.js";
import type { Runtime } from "../runtime.js";
import type { ThreadAnalysis } from "./thread-analysis.js";

// A fix chain's rows and the few facts derived from them. States:
//   proposed      a change is (or is being) shown; nothing is pushed yet
//   verifying     a commit of ci-medic's is on the fix branch; its CI runs are awaited
//   unverifiable  no run within the time limit, or runs waiting for a maintainer's approval (can still verify later)
//   verified      every workflow that failed originally passed on ci-medic's latest commit
//   failed        still failing after the last attempt, or failing somewhere the original failure was not
//   stopped       someone else pushed to the fix branch: the branch is left to people
//   suggested     a fork's pull request: the change was posted as a patch, nothing can be verified
//   merged/closed the fix pull request was merged or closed before an outcome

/** States in which runs on the fix branch still count as evidence. */
export const WATCHED_STATES = new Set(["verifying", "unverifiable"]);
/** States in which nothing more happens to the fix. */
export const ENDED_STATES = new Set(["verified", "failed", "stopped", "suggested", "merged", "closed"]);

export interface FailedWorkflow {
  workflowId: string;
  name: string;
  jobs: string[];
}

/** The exact bytes shown; the hash is printed next to the diff and checked again before the push. */
export function contentHash(changes: readonly FileChange[]): string {
  return createHash("sha256")
    .update(JSON.stringify(changes.map((c) => [c.path, c.before, c.after])))
    .digest("hex");
}

export function parseChanges(json: string): FileChange[] {
  return (JSON.parse(json) as FileChange[]).map((c) => ({ path: c.path, before: c.before, after: c.after }));
}

export function parseFailedWorkflows(fix: Pick<Fix, "failedWorkflows">): FailedWorkflow[] {
  return JSON.parse(fix.failedWorkflows) as FailedWorkflow[];
}

/**
 * Everything ci-medic changed since the diagnosed commit, per file: the first attempt's `before`, the last `after`.
 * The limits (fix.maxFiles, fix.maxChangedLines) count this, so three small attempts cannot add up to a large change.
 */
export function cumulativeChanges(attempts: readonly (readonly FileChange[])[]): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const changes of attempts) {
    for (const c of changes) {
      const first = byPath.get(c.path);
      byPath.set(c.path, { path: c.path, before: first ? first.before : c.before, after: c.after });
    }
  }
  return [...byPath.values()].filter((c) => c.before !== c.after);
}

export function changeSize(changes: readonly FileChange[]): { files: number; lines: number; bytes: number } {
  const stats = patchStats(changes);
  return { files: stats.files, lines: stats.added + stats.removed, bytes: stats.bytes };
}

/** What validation counted for these changes (files, lines added and removed, bytes added), from the stored change. */
export function patchStats(changes: readonly FileChange[]): PatchStats {
  const stats: PatchStats = { files: changes.length, added: 0, removed: 0, bytes: 0 };
  for (const c of changes) {
    const d = lineDiff(c.before ?? "", c.after);
    stats.added += d.added;
    stats.removed += d.removed;
    for (const o of d.ops) if (o.op === "+") stats.bytes += utf8Bytes(o.text);
  }
  return stats;
}

/** Refusal reasons as stored, one per line, whole reasons only (a reason cut in the middle would mislead). */
export function storedReasons(reasons: readonly string[]): string {
  const kept: string[] = [];
  let length = 0;
  for (const reason of reasons.map((r) => r.replace(/\s+/g, " ").trim()).filter(Boolean)) {
    if (length + reason.length + 1 > 4000) break;
    kept.push(reason);
    length += reason.length + 1;
  }
  return kept.join("\n");
}

/** Refusal reasons when all attempts together go over the repository's limits. */
export function cumulativeLimitReasons(
  changes: readonly FileChange[],
  limits: { maxFiles: number; maxChangedLines: number; maxBytes: number },
): string[] {
  const size = changeSize(changes);
  const reasons: string[] = [];
  if (size.files > limits.maxFiles)
    reasons.push(
      `Together with the earlier attempts the fix changes ${size.files} files; this repository allows at most ${limits.maxFiles} (fix.maxFiles).`,
    );
  if (size.lines > limits.maxChangedLines)
    reasons.push(
      `Together with the earlier attempts the fix changes ${size.lines} lines; this repository allows at most ${limits.maxChangedLines} (fix.maxChangedLines).`,
    );
  if (size.bytes > limits.maxBytes)
    reasons.push(
      `Together with the earlier attempts the fix adds ${size.bytes} bytes; this repository allows at most ${limits.maxBytes} (fix.maxBytes).`,
    );
  return reasons;
}

/** The changes ci-medic pushed so far, attempt by attempt. */
export async function appliedChanges(rt: Runtime, fixId: number): Promise<FileChange[][]> {
  const applied = await rt.db.fixProposal.findMany({
    where: { fixId, state: "applied" },
    orderBy: { attempt: "asc" },
    select: { changes: true },
  });
  return applied.map((p) => parseChanges(p.changes));
}

/** The fix chain of a diagnosis, made on first use with the workflows that failed on the diagnosed commit. */
export async function fixForAnalysis(
  rt: Runtime,
  analysis: ThreadAnalysis,
  thread: number,
  maxAttempts: number,
): Promise<Fix> {
  const existing = await rt.db.fix.findUnique({ where: { analysisId: analysis.id } });
  if (existing) return existing;
  const siblings = await rt.db.runAnalysis.findMany({
    where: { repository: analysis.repository, headSha: analysis.headSha, status: "diagnosed" },
    include: { jobs: { select: { name: true } } },
    orderBy: { id: "asc" },
  });
  const workflows = new Map<string, FailedWorkflow>();
  for (const a of [...siblings, analysis]) {
    workflows.set(String(a.workflowId), {
      workflowId: String(a.workflowId),
      name: a.workflowName,
      jobs: a.jobs.map((j) => j.name),
    });
  }
  return rt.db.fix.upsert({
    where: { analysisId: analysis.id },
    create: {
      analysisId: analysis.id,
      installationId: analysis.installationId,
      repository: analysis.repository,
      thread,
      baseSha: analysis.headSha,
      targetBranch: analysis.headBranch,
      maxAttempts,
      failedWorkflows: JSON.stringify([...workflows.values()]),
    },
    update: {},
  });
}

/** The diagnosis a fix belongs to, with its evidence, for proposals and the sticky comment. */
export async function analysisOfFix(rt: Runtime, fix: Pick<Fix, "analysisId">): Promise<ThreadAnalysis> {
  return rt.db.runAnalysis.findUniqueOrThrow({
    where: { id: fix.analysisId },
    include: { diagnosis: true, jobs: { orderBy: { jobId: "asc" } } },
  });
}

export function attemptLabel(attempt: number, maxAttempts: number): string {
  return maxAttempts > 1 ? `attempt ${attempt} of ${maxAttempts}` : "the only attempt";
}
