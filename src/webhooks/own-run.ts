import type { Runtime } from "../runtime.js";

type Account = { login: string; type?: string } | null | undefined;
interface RunActors {
  head_branch: string | null;
  actor?: Account;
  triggering_actor?: Account;
}

export const FIX_BRANCH_PREFIX = "ci-medic/fix-";

/** Runs on ci-medic's fix branches, or started by ci-medic's bot account, are ours: diagnosing them would loop. */
export async function isOwnRun(rt: Runtime, run: RunActors): Promise<boolean> {
  if (run.head_branch?.startsWith(FIX_BRANCH_PREFIX)) return true;
  const bots = [run.actor, run.triggering_actor].filter((u) => u?.type === "Bot").map((u) => u!.login);
  if (bots.length === 0) return false;
  const slug = await rt.appSlug();
  return slug !== undefined && bots.includes(`${slug}[bot]`);
}
