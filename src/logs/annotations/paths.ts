// Turns the paths toolchains print (runner-absolute, Windows, file:// URLs, ./relative) into repository-relative
// POSIX paths, refusing anything that is not inside the checked-out repository.

export interface PathOptions {
  repository?: string;
}

const MAX_PATH_CHARS = 500;
// Characters that never occur in a real source path but do in prose, URLs and code frames.
const NOT_A_PATH = /[\s<>|"*?:`$]/;

function repoName(repository: string | undefined): string | undefined {
  if (!repository) return undefined;
  const name = repository.split("/").pop();
  return name && name.length > 0 ? name.toLowerCase() : undefined;
}

function stripUrlAndSlashes(raw: string): string {
  let p = raw.trim();
  if (p.length >= 2 && (p[0] === '"' || p[0] === "'") && p[p.length - 1] === p[0]) p = p.slice(1, -1);
  if (p.startsWith("file://")) {
    p = p.slice("file://".length);
    // file:///D:/a/… → D:/a/…
    if (/^\/[A-Za-z]:[\\/]/.test(p)) p = p.slice(1);
  }
  return p.replace(/\\/g, "/");
}

/** The runner workspace shape `…/work/R/R/`, `/__w/R/R/`, `D:/a/R/R/`; returns the part after it, or null. */
function stripWorkspace(abs: string, name: string | undefined): string | null {
  const m =
    /^\/(?:.*?\/)?(?:work|_work|__w)\/([^/]+)\/([^/]+)\/(.+)$/.exec(abs) ??
    /^[A-Za-z]:\/(?:.*?\/)?(?:a|work|_work)\/([^/]+)\/([^/]+)\/(.+)$/.exec(abs);
  if (!m) return null;
  const [, first, second, rest] = m;
  if (!first || !second || !rest) return null;
  if (first.toLowerCase() !== second.toLowerCase()) return null;
  if (name !== undefined && first.toLowerCase() !== name) return null;
  return rest;
}

/** Resolves `.`/`..` segments; null when `..` climbs above the root. */
function collapse(rel: string): string | null {
  const out: string[] = [];
  for (const seg of rel.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.length > 0 ? out.join("/") : null;
}

/** Runner paths → repository-relative POSIX path, or null when outside the repo / in node_modules / not a file path. */
export function toRepoPath(raw: string, opts?: PathOptions): string | null {
  if (raw.length === 0 || raw.length > MAX_PATH_CHARS) return null;
  const p = stripUrlAndSlashes(raw);
  let rel: string;
  if (p.startsWith("/") || /^[A-Za-z]:\//.test(p)) {
    const inside = stripWorkspace(p, repoName(opts?.repository));
    if (inside === null) return null;
    rel = inside;
  } else {
    rel = p;
  }
  if (NOT_A_PATH.test(rel)) return null;
  const collapsed = collapse(rel);
  if (collapsed === null) return null;
  if (collapsed.split("/").includes("node_modules")) return null;
  if (!/[A-Za-z0-9_]/.test(collapsed)) return null;
  return collapsed;
}

/**
 * Lenient normalisation for evaluations against fixtures whose paths are as the tool printed them
 * (often absolute on a developer machine): keeps absolute paths, only unifies slashes, `./` and `..`.
 */
export function normaliseLoose(raw: string): string | null {
  const p = stripUrlAndSlashes(raw);
  const drive = /^[A-Za-z]:\//.exec(p)?.[0] ?? (p.startsWith("/") ? "/" : "");
  const collapsed = collapse(p.slice(drive.length));
  return collapsed === null ? null : drive + collapsed;
}
