// Rules on the shape of a proposal, checked before and instead of anything expensive. A model fed an attacker's log can
// be steered into proposals built to stall the validator (huge lines that make regexes crawl) or to hide what they do
// (bidirectional overrides, ANSI escapes, look-alike characters): both are refused by cheap, linear checks.

/** Longest added line, in characters. Code a reviewer can read is far shorter; regexes only ever see lines this long. */
export const MAX_LINE_CHARS = 1_000;

/** Default for `fix.maxBytes`: the most bytes (UTF-8) of added lines in one fix. */
export const DEFAULT_MAX_BYTES = 32_768;

/** Most edits in one proposal, whatever the model's schema says. */
const MAX_EDITS = 50;

interface RawEdit {
  path?: unknown;
  search?: unknown;
  replace?: unknown;
  content?: unknown;
}

/**
 * Limits that cost nothing to check: number of edits and of distinct files, total size, longest line. Runs before any
 * edit is applied, so a proposal made to be slow is refused before it can be.
 */
export function preflight(
  edits: readonly RawEdit[],
  limits: { maxFiles: number; maxBytes: number },
): string | undefined {
  if (edits.length > MAX_EDITS) return `The proposal has ${edits.length} edits; at most ${MAX_EDITS} are accepted.`;
  const paths = new Set(edits.map((e) => (typeof e.path === "string" ? e.path : "")));
  if (paths.size > limits.maxFiles) {
    return `The fix changes ${paths.size} files; this repository allows at most ${limits.maxFiles} (fix.maxFiles).`;
  }
  let chars = 0;
  for (const edit of edits) {
    for (const text of [edit.replace, edit.content]) {
      if (typeof text !== "string") continue;
      chars += text.length;
      const long = longestLine(text);
      if (long > MAX_LINE_CHARS) {
        return `An edit to ${String(edit.path)} adds a line of ${long} characters; ci-medic accepts lines of at most ${MAX_LINE_CHARS}.`;
      }
    }
  }
  // Replacement texts repeat their context, so this bound is generous; the exact byte count follows the diff.
  if (chars > limits.maxBytes * 4) {
    return `The proposal carries ${chars} characters of new text; this repository allows at most ${limits.maxBytes} bytes (fix.maxBytes).`;
  }
  return undefined;
}

function longestLine(text: string): number {
  let longest = 0;
  let from = 0;
  for (let at = text.indexOf("\n"); ; at = text.indexOf("\n", from)) {
    const end = at < 0 ? text.length : at;
    longest = Math.max(longest, end - from);
    if (at < 0) return longest;
    from = at + 1;
  }
}

const CHARACTER_RULES: { what: string; re: RegExp }[] = [
  { what: "ANSI escape sequences", re: /\u001b\[/ },
  { what: "control characters", re: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/ },
  // A lone CR breaks a line for YAML and shells but not in the diff shown; a BOM is invisible there.
  { what: "carriage returns outside CRLF line ends, or byte order marks", re: /\r(?!\n)|\ufeff/ },
  { what: "bidirectional override characters (Trojan Source)", re: /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/ },
  {
    what: "unpaired surrogate code units",
    re: /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
  },
];

/** What is wrong with the characters of the added text, or undefined. */
export function unsafeCharacters(added: string): string | undefined {
  for (const rule of CHARACTER_RULES) if (rule.re.test(added)) return rule.what;
  return undefined;
}

/** UTF-8 size, for `fix.maxBytes`. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
