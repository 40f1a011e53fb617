import type { RepoConfig } from "./schema.js";

// Globs with GitHub Actions filter semantics: `*` and `?` do not cross `/`, `**` does (`feature/**`; `**` matches
// everything; `a/**/b` also matches `a/b`). No character classes or braces: every other character is literal.
//
// Patterns come from a repository's config and are matched against branch and path names an attacker can choose, so
// matching must not backtrack: a pattern like `*a*a*a*…*b` against a long name takes exponential time in a regex
// engine. This matcher runs the pattern as a set of states over the input, once: time is O(pattern × input).

type Token =
  | { kind: "char"; c: string }
  | { kind: "one" } // `?`: one character, not `/`
  | { kind: "star" } // `*`: any run without `/`
  | { kind: "globstar" } // `**`: any run
  | { kind: "skip"; over: number }; // consumes nothing; may jump `over` tokens ahead (`**/` may match nothing)

function tokenize(glob: string, ignoreCase: boolean): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      i++;
      // `**/` is "nothing, or any run then `/`": [skip past both, globstar, "/"]; the "/" is the next character.
      if (glob[i + 1] === "/") tokens.push({ kind: "skip", over: 3 });
      tokens.push({ kind: "globstar" });
    } else if (c === "*") {
      // `a**` after a star is still one star run; consecutive single stars add nothing.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") tokens.push({ kind: "one" });
    else tokens.push({ kind: "char", c: ignoreCase ? c.toLowerCase() : c });
  }
  return tokens;
}

/** A linear-time matcher for `glob`; `ignoreCase` for paths on case-insensitive checkouts. */
export function globMatcher(glob: string, opts: { ignoreCase?: boolean } = {}): (value: string) => boolean {
  const ignoreCase = opts.ignoreCase ?? false;
  const tokens = tokenize(glob, ignoreCase);
  const n = tokens.length;
  // Moves that consume nothing (all forward, so one pass in order suffices): a star may match the empty run; a skip
  // enters its globstar or jumps past it and its `/`.
  const close = (active: Uint8Array) => {
    for (let s = 0; s < n; s++) {
      if (!active[s]) continue;
      const t = tokens[s]!;
      if (t.kind === "star" || t.kind === "globstar") active[s + 1] = 1;
      else if (t.kind === "skip") {
        active[s + 1] = 1;
        active[s + t.over] = 1;
      }
    }
  };
  return (raw: string) => {
    const value = ignoreCase ? raw.toLowerCase() : raw;
    let active = new Uint8Array(n + 3);
    active[0] = 1;
    close(active);
    for (const c of value) {
      const next = new Uint8Array(n + 3);
      let any = false;
      for (let s = 0; s < n; s++) {
        if (!active[s]) continue;
        const t = tokens[s]!;
        if (t.kind === "skip") continue;
        if (t.kind === "char" ? t.c === c : t.kind === "globstar" || c !== "/") {
          // `?` and literals move on; star kinds stay to take more.
          const to = t.kind === "char" || t.kind === "one" ? s + 1 : s;
          next[to] = 1;
          any = true;
        }
      }
      if (!any) return false;
      close(next);
      active = next;
    }
    return active[n] === 1;
  };
}

const cache = new Map<string, (value: string) => boolean>();

export function matchesGlob(value: string, glob: string): boolean {
  let match = cache.get(glob);
  if (!match) {
    match = globMatcher(glob);
    if (cache.size > 1000) cache.clear();
    cache.set(glob, match);
  }
  return match(value);
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
