import type { Context } from "probot";
import type { RepoConfig } from "../config/schema.js";
import type { Fix } from "../generated/prisma/client.js";
import { inlineCode } from "../output/markdown.js";
import type { Runtime } from "../runtime.js";
import { analysisOfFix } from "./fix-chain.js";
import type { ApprovalView } from "./publish-diagnosis.js";
import { refreshComment } from "./refresh-comment.js";
import { reply } from "./reply.js";

// What a fix chain says, and where: the original thread's sticky comment always shows the current state (the place
// the approver looks), and the fix pull request gets a comment for each event that concerns it.

export type FixView = Omit<ApprovalView, "by" | "prUrl">;

/** Re-renders the original thread's sticky comment with the fix chain's state. */
export async function showFixState(
  rt: Runtime,
  context: Context,
  fix: Fix,
  config: RepoConfig,
  view: FixView,
  by = "",
): Promise<void> {
  const analysis = await analysisOfFix(rt, fix);
  await refreshComment(rt, context, analysis, fix.thread, config, {
    by: by || (await approverOf(rt, fix)),
    prUrl: fix.prUrl ?? undefined,
    ...view,
  });
}

async function approverOf(rt: Runtime, fix: Fix): Promise<string> {
  const first = await rt.db.fixProposal.findFirst({
    where: { fixId: fix.id, approvedBy: { not: null } },
    orderBy: { attempt: "asc" },
    select: { approvedBy: true },
  });
  return first?.approvedBy ?? "a maintainer";
}

/** A comment in the original thread and, when there is one, on the fix pull request. */
export async function tellBothThreads(context: Context, fix: Fix, text: { thread: string; pr?: string }) {
  await reply(context, fix.thread, text.thread);
  if (fix.prNumber && text.pr) await reply(context, fix.prNumber, text.pr);
}

/** Ends the chain with a state and the reason, recorded before anything is said. */
export async function endFix(rt: Runtime, fix: Fix, state: string, detail: string): Promise<Fix> {
  return rt.db.fix.update({ where: { id: fix.id }, data: { state, detail: detail.slice(0, 4000) } });
}

/**
 * Who approved a push, for a sentence: `approved by @login`, or the setting that pushed it (fix.autoApplyFollowUps).
 * `mention: false` names the login without notifying them again (a reply to someone else's duplicate `/approve`).
 */
export function approvedByText(approvedBy: string | null, opts: { mention?: boolean } = {}): string {
  if (!approvedBy) return "by another approval";
  if (!/^[\w-]+(\[bot\])?$/.test(approvedBy)) return `by ${approvedBy}`;
  return opts.mention === false ? `approved by ${inlineCode(approvedBy)}` : `approved by @${approvedBy}`;
}
