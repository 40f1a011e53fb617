// `npm install` runs these scripts on every machine that installs the package, CI included: a fix must not add or
// change one. Pre/post variants of each are included because npm runs those too.

const BASE = [
  "install",
  "prepare",
  "prepublish",
  "prepublishOnly",
  "prepack",
  "postpack",
  "publish",
  "dependencies",
  "uninstall",
  "shrinkwrap",
];

export const LIFECYCLE_SCRIPTS: ReadonlySet<string> = new Set(
  BASE.flatMap((name) => [name, `pre${name}`, `post${name}`]),
);

type Verdict = { ok: true } | { ok: false; reason: string };

/** Compares the `scripts` of a package.json before and after; `before` is null for a new file. */
export function checkPackageScripts(path: string, before: string | null, after: string): Verdict {
  const next = parseJson(after);
  if (next === undefined) return { ok: false, reason: `The change would leave ${path} as invalid JSON.` };
  const prev = before === null ? {} : parseJson(before);
  // An unparseable original cannot be compared; refusing is the safe reading.
  if (prev === undefined)
    return { ok: false, reason: `${path} is not valid JSON at the head commit, so ci-medic cannot check its scripts.` };
  const a = scriptsOf(prev);
  const b = scriptsOf(next);
  const touched = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (name) => LIFECYCLE_SCRIPTS.has(name) && a[name] !== b[name],
  );
  if (touched.length > 0) {
    return {
      ok: false,
      reason: `The change to ${path} adds or alters install/lifecycle script(s) (${touched.map((t) => `"${t}"`).join(", ")}), which run on every install.`,
    };
  }
  return { ok: true };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function scriptsOf(pkg: unknown): Record<string, unknown> {
  if (typeof pkg !== "object" || pkg === null) return {};
  const scripts = (pkg as { scripts?: unknown }).scripts;
  return typeof scripts === "object" && scripts !== null ? (scripts as Record<string, unknown>) : {};
}
