import type { Runtime } from "../runtime.js";

/** The newest diagnosed failure posted in a pull request or tracking issue, with what the follow-ups need. */
export async function latestDiagnosisInThread(rt: Runtime, repository: string, thread: number) {
  return rt.db.runAnalysis.findFirst({
    where: { repository, status: "diagnosed", OR: [{ prNumber: thread }, { issueNumber: thread }] },
    include: { diagnosis: true, jobs: { orderBy: { jobId: "asc" } } },
    orderBy: { id: "desc" },
  });
}

export type ThreadAnalysis = NonNullable<Awaited<ReturnType<typeof latestDiagnosisInThread>>>;

/** Link to the sticky comment, on the same host as the run (GitHub Enterprise Server too). */
export function commentUrl(
  analysis: Pick<ThreadAnalysis, "runUrl" | "repository" | "commentId">,
  thread: number,
): string | undefined {
  if (!analysis.commentId) return undefined;
  const origin = new URL(analysis.runUrl).origin;
  return `${origin}/${analysis.repository}/issues/${thread}#issuecomment-${analysis.commentId}`;
}
