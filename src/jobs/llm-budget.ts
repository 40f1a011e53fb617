import type { RepoConfig } from "../config/schema.js";
import type { Runtime } from "../runtime.js";

// The daily LLM limits, shared by everything that asks the model: diagnoses and fix proposals (first proposals,
// `/approve <hint>`, the button, follow-up attempts). Both are checked before a model call and counted after it, so
// no command can be repeated into unbounded model calls. Counted per UTC day: a day's row is never reset, the next
// day simply has a row of its own.

/** Which limit stops a model call, with its value for the message. */
export type OverBudget = { limit: "tokens"; budget: number } | { limit: "calls"; callLimit: number };

/** What one piece of work cost: each answer the model gave (a second try after an invalid answer counts too). */
export interface ModelUsage {
  calls: number;
  tokens: number;
}

export function utcDay(date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

/** The limit reached today, if one is: the installation's tokens first (the operator's), then the repository's calls. */
export async function budgetExceeded(
  rt: Runtime,
  installationId: number,
  repository: string,
  config: RepoConfig,
): Promise<OverBudget | undefined> {
  const rows = await rt.db.llmUsage.findMany({ where: { installationId, day: utcDay() } });
  const tokens = rows.reduce((sum, r) => sum + r.tokens, 0);
  if (tokens >= rt.settings.dailyTokenBudget) return { limit: "tokens", budget: rt.settings.dailyTokenBudget };
  const calls = rows.find((r) => r.repository === repository)?.calls ?? 0;
  if (calls >= config.llm.dailyCallLimit) return { limit: "calls", callLimit: config.llm.dailyCallLimit };
  return undefined;
}

/** Short, for the rule-based diagnosis's stated reason. */
export function overBudgetReason(over: OverBudget): string {
  return over.limit === "tokens"
    ? "the installation's daily LLM token budget is used up"
    : "this repository's daily LLM call limit is reached";
}

/** One clause for a reply: which limit, its value and setting, and when it resets. */
export function overBudgetSentence(over: OverBudget): string {
  return over.limit === "tokens"
    ? `this installation's daily LLM token budget (\`DAILY_TOKEN_BUDGET\`, ${over.budget} tokens) is used up; it resets at 00:00 UTC`
    : `this repository's daily LLM call limit (\`llm.dailyCallLimit\`, ${over.callLimit} calls) is reached; it resets at 00:00 UTC`;
}

export async function recordUsage(
  rt: Runtime,
  installationId: number,
  repository: string,
  usage: ModelUsage,
): Promise<void> {
  if (usage.calls === 0 && usage.tokens === 0) return;
  const day = utcDay();
  await rt.db.llmUsage.upsert({
    where: { installationId_repository_day: { installationId, repository, day } },
    create: { installationId, repository, day, calls: usage.calls, tokens: usage.tokens },
    update: { calls: { increment: usage.calls }, tokens: { increment: usage.tokens } },
  });
}
