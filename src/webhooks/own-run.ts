import { FIX_BRANCH_PREFIX } from "../fix/fix-branch.js";
import type { Runtime } from "../runtime.js";

type Account = { login: string; type?: string } | null | undefined;
interface RunActors {
  head_branch: string | null;
  actor?: Account;
  triggering_actor?: Account;
}

export { FIX_BRANCH_PREFIX };

/**
 * Runs on a `ci-medic/fix-*` branch, or started by ci-medic's bot account, are ours: diagnosing them as new failures
 * would start a second fix chain. Runs on ci-medic's own fix branches are evidence about a fix instead (fix-run jobs).
 */
export async function isOwnRun(rt: Runtime, run: RunActors): Promise<boolean> {
  if (run.head_branch?.startsWith(FIX_BRANCH_PREFIX)) return true;
  const bots = [run.actor, run.triggering_actor].filter((u) => u?.type === "Bot").map((u) => u!.login);
  if (bots.length === 0) return false;
  const slug = await rt.appSlug();
  return slug !== undefined && bots.includes(`${slug}[bot]`);
}

/**
 * The fix chain a run is evidence about: a run of the base repository on a branch a fix of ours uses. A fork can name
 * its branch `ci-medic/fix-1`, so the head repository must be the base repository itself.
 */
export async function fixOfRun(
  rt: Runtime,
  repository: string,
  run: { head_branch: string | null; head_repository?: { full_name?: string } | null },
): Promise<{ id: number } | null> {
  const branch = run.head_branch;
  if (!branch?.startsWith(FIX_BRANCH_PREFIX)) return null;
  if (run.head_repository?.full_name?.toLowerCase() !== repository.toLowerCase()) return null;
  return rt.db.fix.findUnique({ where: { repository_branch: { repository, branch } }, select: { id: true } });
}
