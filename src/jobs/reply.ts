import type { Context } from "probot";

export const HELP_TEXT = [
  "**ci-medic commands** (each on its own line, by someone with write access):",
  "",
  "- `/approve` — open a pull request that fixes the failure diagnosed above; `/approve <hint>` passes a hint to the model.",
  "- `/reject [reason]` — decline the fix; nothing is opened.",
  "- `/diagnose` — diagnose the latest failed run again.",
  "- `/ci-medic help` — this message.",
  "",
  "The check run's **Open fix PR** button does what `/approve` does.",
].join("\n");

/** A short reply in the thread. Bodies are built by ci-medic; anything untrusted in them is already sanitised. */
export async function reply(context: Context, issueNumber: number, body: string): Promise<void> {
  const { owner, repo } = context.repo();
  await context.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
}
