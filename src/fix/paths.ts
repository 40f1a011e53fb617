import { globToRegExp } from "../config/match.js";
// Paths a model proposes are untrusted: normalise them to one POSIX form inside the repository, or refuse them.

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

const MAX_PATH = 400;

export function normalisePath(raw: string): PathCheck {
  const shown = JSON.stringify(raw.slice(0, 120));
  if (raw.length === 0) return { ok: false, reason: "An edit has an empty path." };
  if (raw.length > MAX_PATH) return { ok: false, reason: `The path ${shown}… is longer than ${MAX_PATH} characters.` };
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: `The path ${shown} contains control characters.` };
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

/**
 * Paths ci-medic never changes, whatever the config says: they run code with secrets, decide who reviews, or download
 * the toolchain CI runs. `.github/**` as a whole: workflows, local actions, dependabot.yml, ci-medic's own config.
 */
export const BUILT_IN_DENIED = [
  ".github/**",
  "CODEOWNERS",
  "docs/CODEOWNERS",
  ".gitmodules",
  // Toolchain wrappers and what they download: a changed URL or checksum runs someone else's build tool.
  "gradlew",
  "gradlew.bat",
  "gradle-wrapper.jar",
  "gradle-wrapper.properties",
  "mvnw",
  "mvnw.cmd",
  "maven-wrapper.jar",
  "maven-wrapper.properties",
  "MavenWrapperDownloader.java",
  ".mvn/**",
  "sbt",
  "sbtw",
  "bazelisk",
  ".bazelversion",
];

/**
 * Glob match: `**` spans directories, `*` and `?` stay within one segment. A pattern without a slash matches the file
 * name at any depth (as in .gitignore). Case-insensitive, because a case-insensitive checkout treats `.GitHub` as `.github`.
 */
export function matchesGlob(path: string, pattern: string): boolean {
  const p = pattern.replace(/^\/+/, "");
  const re = globToRegExp(p, "i");
  if (re.test(path)) return true;
  if (!p.includes("/")) return re.test(path.slice(path.lastIndexOf("/") + 1));
  return false;
}

export function deniedBy(path: string, extra: readonly string[]): string | null {
  for (const pattern of BUILT_IN_DENIED) if (matchesGlob(path, pattern)) return pattern;
  for (const pattern of extra) if (matchesGlob(path, pattern)) return pattern;
  return null;
}

/** Package-manager settings run code or redirect downloads at install time. */
export function isInstallerConfig(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return name === ".npmrc" || name.startsWith(".yarnrc") || name === ".pnpmfile.cjs" || name === ".pnpmfile.mjs";
}

export function isTestPath(path: string): boolean {
  const p = path.toLowerCase();
  const name = p.slice(p.lastIndexOf("/") + 1);
  return (
    /(?:^|\/)(?:tests?|__tests__|__snapshots__|spec)\//.test(p) ||
    /\.(?:test|spec)\.[^/]+$/.test(name) ||
    /_test\.go$/.test(name) ||
    /^test_.*\.py$/.test(name) ||
    /_test\.py$/.test(name) ||
    /\.snap$/.test(name)
  );
}
