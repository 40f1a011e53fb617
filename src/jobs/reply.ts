import type { Context } from "probot";

export const HELP_TEXT = [
  "**ci-medic commands** (each on its own line, by someone with write access):",
  "",
  "- `/approve` — show the fix ci-medic proposes for the failure diagnosed above; once shown, `/approve` again pushes exactly that change to a fix pull request. `/approve <hint>` asks for a new proposal with a hint to the model.",
  "- `/reject [reason]` — decline the fix; nothing is pushed.",
  "- `/diagnose` — diagnose the latest failed run again.",
  "- `/ci-medic help` — this message.",
  "",
  "The check run's **Open fix PR** button asks for a proposal like the first `/approve`; it never pushes: only an `/approve` comment written after a change was shown pushes it.",
].join("\n");

/**
 * A comment in the thread; returns its id. Bodies are built by ci-medic; anything untrusted in them is already
 * sanitised.
 */
export async function reply(context: Context, issueNumber: number, body: string): Promise<number> {
  const { owner, repo } = context.repo();
  const { data } = await context.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return data.id;
}
