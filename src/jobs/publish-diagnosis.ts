import type { Context } from "probot";
import type { RepoConfig } from "../config/schema.js";
import type { JobEvidence } from "../diagnosis/types.js";
import { publishCheckRun } from "../github/check-run.js";
import { resolvePullRequest } from "../github/resolve-pr.js";
import { commentMarker, upsertStickyComment } from "../github/sticky-comment.js";
import { upsertTrackingIssue } from "../github/tracking-issue.js";
import { OPEN_FIX_ACTION } from "../job-kinds.js";
import { renderCheckRun } from "../output/render-check-run.js";
import { renderComment } from "../output/render-comment.js";
import { offersFix } from "../output/view.js";
import type { Runtime } from "../runtime.js";
import type { Decision } from "./decide-diagnosis.js";

export interface AnalysisRow {
  id: number;
  repository: string;
  workflowId: bigint;
  workflowName: string;
  runUrl: string;
  runAttempt: number;
  headSha: string;
  headBranch: string | null;
  prNumber: number | null;
  issueNumber: number | null;
  checkRunId: bigint | null;
  commentId: bigint | null;
}

export interface ApprovalView {
  state: string;
  by: string;
  prUrl?: string;
  reason?: string;
}

/** What the renderers take, from stored rows only, so every later update shows the same diagnosis. */
export function diagnosisView(
  analysis: AnalysisRow,
  evidence: JobEvidence[],
  decision: Pick<Decision, "diagnosis" | "seen">,
  extras: { minConfidence: number; flaky?: boolean; approval?: ApprovalView },
) {
  return {
    marker: diagnosisMarker(analysis.workflowId),
    run: {
      workflowName: analysis.workflowName,
      runUrl: analysis.runUrl,
      attempt: analysis.runAttempt,
      headSha: analysis.headSha,
      headBranch: analysis.headBranch,
      repository: analysis.repository,
    },
    jobs: evidence,
    diagnosis: decision.diagnosis,
    seen: decision.seen,
    flaky: extras.flaky,
    approval: extras.approval,
    minConfidence: extras.minConfidence,
  };
}

/** Creates or updates the sticky comment in the thread and stores its id at once. */
export async function postStickyComment(
  rt: Runtime,
  octokit: Context["octokit"],
  analysis: AnalysisRow,
  thread: number,
  view: ReturnType<typeof diagnosisView>,
): Promise<void> {
  const [owner, repo] = analysis.repository.split("/") as [string, string];
  const { commentId } = await upsertStickyComment(octokit, {
    owner,
    repo,
    issueNumber: thread,
    marker: view.marker,
    body: renderComment(view),
    commentId: analysis.commentId ? Number(analysis.commentId) : undefined,
    appSlug: await rt.appSlug(),
  });
  await rt.db.runAnalysis.update({ where: { id: analysis.id }, data: { commentId: BigInt(commentId) } });
}

/** Where the sticky comment of one workflow lives in a thread: one comment per workflow, updated in place. */
export function diagnosisMarker(workflowId: bigint | number): string {
  return commentMarker(`diagnosis:${workflowId}`);
}

/**
 * Posts (or updates) the check run and the sticky comment. Every id is stored the moment it exists, so a retry after a
 * crash updates what was posted instead of posting it twice.
 */
export async function publishDiagnosis(
  rt: Runtime,
  context: Context<"workflow_run">,
  args: {
    analysis: AnalysisRow;
    evidence: JobEvidence[];
    decision: Decision;
    config: RepoConfig;
    configErrors: string[];
    flaky?: boolean;
  },
): Promise<void> {
  const { db } = rt;
  const { owner, repo } = context.repo();
  const repository = `${owner}/${repo}`;
  const run = context.payload.workflow_run;
  const { analysis, evidence, decision, config } = args;

  const thread = await resolveThread(rt, context, analysis, config);
  const view = diagnosisView(analysis, evidence, decision, {
    minConfidence: config.approval.minConfidence,
    flaky: args.flaky,
  });

  if (config.output.checkRun) {
    const output = renderCheckRun(view);
    const summary = args.configErrors.length
      ? `${output.summary}\n\n**Configuration problems** (defaults used):\n${args.configErrors.map((e) => `- ${e}`).join("\n")}`
      : output.summary;
    const checkRunId = await publishCheckRun(context.octokit, {
      owner,
      repo,
      headSha: run.head_sha,
      // Each attempt gets its own check run (GitHub appends annotations on update, so a rerun's would repeat);
      // a retried job updates the one it already posted.
      checkRunId: analysis.checkRunId ? Number(analysis.checkRunId) : undefined,
      name: "ci-medic",
      title: output.title,
      summary,
      text: output.text,
      annotations: evidence.flatMap((j) => j.annotations),
      // An empty list removes the button (flaky, or no longer confident enough).
      actions: offersFix(view) && thread ? [OPEN_FIX_ACTION] : [],
    });
    await db.runAnalysis.update({ where: { id: analysis.id }, data: { checkRunId: BigInt(checkRunId) } });
  }

  if (thread) {
    // A rerun's new analysis row has no comment id yet: the earlier attempt's comment in this thread is the one to update.
    const known = analysis.commentId
      ? analysis
      : await db.runAnalysis.findFirst({
          where: {
            repository,
            workflowId: analysis.workflowId,
            commentId: { not: null },
            ...(thread.kind === "pr" ? { prNumber: thread.number } : { issueNumber: thread.number }),
          },
          select: { commentId: true },
          orderBy: { id: "desc" },
        });
    await postStickyComment(
      rt,
      context.octokit,
      { ...analysis, commentId: known?.commentId ?? null },
      thread.number,
      view,
    );
  }
}

async function resolveThread(
  rt: Runtime,
  context: Context<"workflow_run">,
  analysis: AnalysisRow,
  config: RepoConfig,
): Promise<{ kind: "pr" | "issue"; number: number } | undefined> {
  if (analysis.prNumber) return config.output.prComment ? { kind: "pr", number: analysis.prNumber } : undefined;
  if (analysis.issueNumber)
    return config.output.trackingIssue ? { kind: "issue", number: analysis.issueNumber } : undefined;
  const { owner, repo } = context.repo();
  const repository = `${owner}/${repo}`;
  const run = context.payload.workflow_run;

  const pr = await resolvePullRequest(context.octokit, run as never, context.payload.repository?.default_branch);
  if (pr) {
    await rt.db.runAnalysis.update({ where: { id: analysis.id }, data: { prNumber: pr.number } });
    return config.output.prComment ? { kind: "pr", number: pr.number } : undefined;
  }
  if (!config.output.trackingIssue) return undefined;
  const branch = run.head_branch ?? "(detached)";
  const tracked = await rt.db.trackingIssue.findUnique({
    where: { repository_workflowId_branch: { repository, workflowId: analysis.workflowId, branch } },
  });
  const { issueNumber } = await upsertTrackingIssue(context.octokit, {
    owner,
    repo,
    workflowName: run.name ?? "workflow",
    workflowPath: run.path,
    branch,
    body: trackingIssueBody(run.name ?? "workflow", branch),
    issueNumber: tracked?.issueNumber,
  });
  await rt.db.trackingIssue.upsert({
    where: { repository_workflowId_branch: { repository, workflowId: analysis.workflowId, branch } },
    create: { repository, workflowId: analysis.workflowId, branch, issueNumber },
    update: { issueNumber },
  });
  await rt.db.runAnalysis.update({ where: { id: analysis.id }, data: { issueNumber } });
  return { kind: "issue", number: issueNumber };
}

function trackingIssueBody(workflow: string, branch: string): string {
  return [
    `The workflow **${workflow.replace(/[<>`@]/g, "")}** is failing on \`${branch.replace(/`/g, "")}\`.`,
    "",
    "ci-medic keeps its latest diagnosis in the comment below and updates it on every failure.",
    "Reply `/approve` to ask for a fix pull request, or `/reject` to decline.",
  ].join("\n");
}
