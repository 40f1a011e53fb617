import { globMatcher } from "../config/match.js";
// Paths a model proposes are untrusted: normalise them to one POSIX form inside the repository, or refuse them.

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

const MAX_PATH = 400;

export function normalisePath(raw: string): PathCheck {
  const shown = JSON.stringify(raw.slice(0, 120));
  if (raw.length === 0) return { ok: false, reason: "An edit has an empty path." };
  if (raw.length > MAX_PATH) return { ok: false, reason: `The path ${shown}… is longer than ${MAX_PATH} characters.` };
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw))
    return { ok: false, reason: `The path ${shown} contains control characters.` };
  const shape = pathShapeProblem(raw);
  if (shape) return { ok: false, reason: `The path ${shown} ${shape}; ci-medic does not write such paths.` };
  if (raw.includes("\\"))
    return { ok: false, reason: `The path ${shown} contains a backslash; paths must use forward slashes.` };
  if (/^[A-Za-z]:/.test(raw) || raw.startsWith("~"))
    return { ok: false, reason: `The path ${shown} is not a path inside the repository.` };

  const out: string[] = [];
  // A leading "/" means "from the repository root" when a model writes it; it never means the host's root here.
  for (const segment of raw.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length === 0) return { ok: false, reason: `The path ${shown} points outside the repository.` };
      out.pop();
      continue;
    }
    if (segment.toLowerCase() === ".git")
      return { ok: false, reason: `The path ${shown} is inside .git, which ci-medic never writes.` };
    out.push(segment);
  }
  if (out.length === 0) return { ok: false, reason: `The path ${shown} names the repository root, not a file.` };
  if (raw.endsWith("/")) return { ok: false, reason: `The path ${shown} names a directory, not a file.` };
  return { ok: true, path: out.join("/") };
}

// Characters that render as nothing or reorder text: a reviewer cannot see them in a path.
const INVISIBLE_IN_PATH =
  /[\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0]|\u034f|[\ufe00-\ufe0f]/u;
// Scripts whose letters pass for Latin ones (Cyrillic "а", Greek "ο", …), mixed with ASCII letters in one segment.
const LOOKALIKE_SCRIPT =
  /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Cherokee}\p{Script=Coptic}]/u;

/**
 * Path shapes that mean something other than what a reviewer reads: invisible characters, compatibility look-alikes
 * (full-width letters, ligatures), letters from look-alike scripts mixed with ASCII, percent-encoding (written
 * literally, it names another file than the decoded path), and a segment ending in a dot or space (Windows drops them).
 */
function pathShapeProblem(raw: string): string | undefined {
  if (INVISIBLE_IN_PATH.test(raw)) return "contains invisible or zero-width characters";
  if (raw.normalize("NFKC") !== raw) return "contains characters that look like other characters (compatibility forms)";
  if (/%[0-9A-Fa-f]{2}/.test(raw)) return "contains percent-encoding";
  for (const segment of raw.split("/")) {
    if (segment === "." || segment === "..") continue;
    if (/[. ]$/.test(segment)) return "has a segment ending in a dot or a space";
    if (/[A-Za-z]/.test(segment) && LOOKALIKE_SCRIPT.test(segment))
      return "mixes ASCII letters with look-alike letters from another script";
  }
  return undefined;
}

/** Paths ci-medic never changes, whatever the config says: they run code with secrets or decide who reviews. */
export const BUILT_IN_DENIED = [
  ".github/workflows/**",
  ".github/actions/**",
  "CODEOWNERS",
  ".github/CODEOWNERS",
  "docs/CODEOWNERS",
  ".gitmodules",
];

/**
 * Glob match: `**` spans directories, `*` and `?` stay within one segment. A pattern without a slash matches the file
 * name at any depth (as in .gitignore). Case-insensitive, because a case-insensitive checkout treats `.GitHub` as `.github`.
 */
export function matchesGlob(path: string, pattern: string): boolean {
  const p = pattern.replace(/^\/+/, "");
  const match = globMatcher(p, { ignoreCase: true });
  if (match(path)) return true;
  if (!p.includes("/")) return match(path.slice(path.lastIndexOf("/") + 1));
  return false;
}

export function deniedBy(path: string, extra: readonly string[]): string | null {
  for (const pattern of BUILT_IN_DENIED) if (matchesGlob(path, pattern)) return pattern;
  for (const pattern of extra) if (matchesGlob(path, pattern)) return pattern;
  return null;
}

/**
 * Files that hold secrets by convention (dotenv files, keys and certificates, credential stores). ci-medic never reads
 * them for the model and never writes them, whatever their content.
 */
export function holdsSecrets(path: string): boolean {
  const p = path.toLowerCase();
  const name = p.slice(p.lastIndexOf("/") + 1);
  return (
    name === ".env" ||
    name.startsWith(".env.") ||
    name.endsWith(".env") ||
    /\.(?:pem|key|p12|pfx|jks|keystore|p8|ppk|asc|gpg|kdbx|tfvars|tfstate)$/.test(name) ||
    /^id_(?:rsa|dsa|ecdsa|ed25519)(?:\.|$)/.test(name) ||
    /^(?:credentials|credentials\.(?:json|ya?ml|xml|toml)|\.netrc|_netrc|\.git-credentials|\.pypirc|\.dockercfg|\.htpasswd|secrets?\.(?:json|ya?ml|toml|env|ini))$/.test(
      name,
    ) ||
    /(?:^|\/)\.(?:aws|ssh|gnupg|docker)\//.test(p) ||
    /^service[-_]?account.*\.json$/.test(name)
  );
}

/** Package-manager settings run code or redirect downloads at install time. */
export function isInstallerConfig(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return name === ".npmrc" || name.startsWith(".yarnrc") || name === ".pnpmfile.cjs" || name === ".pnpmfile.mjs";
}

/** Test files by each ecosystem's conventions (JS, Python, Go, Rust, JVM, .NET, Ruby, PHP, Swift, Elixir). */
export function isTestPath(path: string): boolean {
  const p = path.toLowerCase();
  const name = p.slice(p.lastIndexOf("/") + 1);
  return (
    /(?:^|\/)(?:tests?|__tests__|__snapshots__|specs?)\//.test(p) ||
    /(?:^|\/)[^/]+\.(?:unit)?tests?\//.test(p) ||
    /(?:Test|Tests|Spec|IT)\.(?:java|kt|kts|scala|groovy|cs|fs|vb|php|swift|m)$/.test(
      path.slice(path.lastIndexOf("/") + 1),
    ) ||
    /_(?:spec|test)\.(?:rb|exs|rs|c|cc|cpp|dart|lua|js|ts)$/.test(name) ||
    /^test_.*\.(?:c|cc|cpp|rs|sh)$/.test(name) ||
    /\.(?:test|spec)\.[^/]+$/.test(name) ||
    /_test\.go$/.test(name) ||
    /^test_.*\.py$/.test(name) ||
    /_test\.py$/.test(name) ||
    /\.snap$/.test(name)
  );
}
