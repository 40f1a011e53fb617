import type { RepoConfig } from "./schema.js";

/**
 * GitHub Actions filter semantics: `*` and `?` do not cross `/`, `**` does (`feature/**`, `**` = everything).
 * No character classes or braces: every other character is literal.
 */
export function globToRegExp(glob: string, flags = ""): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        // `a/**/b` also matches `a/b`.
        if (glob[i + 1] === "/") {
          i++;
          source += "(?:.*/)?";
        } else source += ".*";
      } else source += "[^/]*";
    } else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, flags);
}

const cache = new Map<string, RegExp>();

export function matchesGlob(value: string, glob: string): boolean {
  let re = cache.get(glob);
  if (!re) {
    re = globToRegExp(glob);
    if (cache.size > 1000) cache.clear();
    cache.set(glob, re);
  }
  return re.test(value);
}

export interface WatchTarget {
  workflowName: string;
  /** `.github/workflows/ci.yml`; patterns may name the full path or just the file name. */
  workflowPath?: string;
  branch: string;
}

/** The first pattern that matches the workflow by name, path or file name, if any. */
function workflowMatch(patterns: string[], target: WatchTarget): string | undefined {
  const candidates = [target.workflowName];
  if (target.workflowPath) candidates.push(target.workflowPath, target.workflowPath.split("/").pop() ?? "");
  return patterns.find((p) => candidates.some((c) => matchesGlob(c, p)));
}

export function shouldWatch(
  config: Pick<RepoConfig, "workflows" | "branches">,
  target: WatchTarget,
): { watch: boolean; reason?: string } {
  const workflow = `workflow "${target.workflowName}"${target.workflowPath ? ` (${target.workflowPath})` : ""}`;
  if (!workflowMatch(config.workflows.include, target))
    return { watch: false, reason: `${workflow} matches no pattern in workflows.include` };
  const excludedBy = workflowMatch(config.workflows.exclude, target);
  if (excludedBy !== undefined)
    return { watch: false, reason: `${workflow} matches workflows.exclude pattern "${excludedBy}"` };

  const branch = `branch "${target.branch}"`;
  if (!config.branches.include.some((p) => matchesGlob(target.branch, p)))
    return { watch: false, reason: `${branch} matches no pattern in branches.include` };
  const branchExcludedBy = config.branches.exclude.find((p) => matchesGlob(target.branch, p));
  if (branchExcludedBy !== undefined)
    return { watch: false, reason: `${branch} matches branches.exclude pattern "${branchExcludedBy}"` };
  return { watch: true };
}
