// The line(s) a person would quote when asked why the job failed: the first distinctive errors of the failed step,
// not the wrappers that only report that something below them failed.

import type { Segment, Window } from "./collector.js";
import { normaliseKey } from "./collector.js";

export const MAX_KEY_LINES = 3;

// Lines that say a command failed without saying why: the runner's exit line, npm's and make's epilogues, shells'
// exit reports, stack frames, build tools' closing verdicts. A log whose errors are all of this kind still gets them.
const WRAPPER =
  /^(?:##\[error\])?(?:Error: )?Process completed with exit code|^The process '.*' failed with exit code|^npm (?:ERR!|error)(?: (?:code|errno|path|command|syscall|signal|workspace|location|A complete log|Lifecycle|Failed at|This is probably|Exit status|notarget In most cases|notarget a package version)|\s*$)|^\s*(?:make|gmake|ninja)(?:\[\d+\])?: \*\*\*|^The command ".*" (?:exited|failed) with|^(?:Error: )?Command failed|^error Command failed|^ELIFECYCLE|^\s*at |^\s*ERR_PNPM_RECURSIVE|^\s*\[ERROR\]\s*(?:$|-> \[Help|Re-run Maven|To see the full stack|For more information|\[Help \d\])|^FAILURE: Build failed with an exception|^\* What went wrong:|^BUILD FAILED|^\[ERROR\] BUILD FAILURE|Tests? (?:run|Files|Suites):|^\s*\d+ (?:failing|passing)\b|^Error: The updater encountered|^error: Please commit or stash them|^Aborted \(core dumped\)/;

const MISSING_COMMAND = /^(?:\/\S+\/)?(?:sh|bash|zsh|dash)(?:: line \d+| ?: ?\d+)?: \S+: (?:command )?not found$/;

/**
 * The first MAX_KEY_LINES distinct informative error lines of the failed steps' windows, best window first (ranked as
 * the excerpt ranks them), new ones first when a baseline is known; the steps' last errors when no window has one.
 */
export function keyLines(
  failed: Segment[],
  rank: (w: Window, seg: Segment) => number,
  seen?: (text: string) => boolean,
): string[] {
  const windows = failed
    .flatMap((seg) => seg.windows.map((w) => ({ w, score: rank(w, seg) })))
    .sort((a, b) => b.score - a.score);
  const fromWindows = windows.flatMap(({ w }) => w.lines.filter((l) => l.strength === 3).map((l) => l.text));
  // The shell's own words for a missing command carry no error word, so the reader passes them by as quiet lines;
  // the step's tail still has them, and they explain an exit 127 better than anything after them.
  const missing = failed.flatMap((s) => s.tail.filter((l) => MISSING_COMMAND.test(l.text)).map((l) => l.text));
  const strong = [...missing, ...fromWindows, ...failed.flatMap((s) => s.lastStrong)].map((l) =>
    l.replace(/^##\[error\]/, "").trim(),
  );
  const informative = strong.filter((l) => l.length > 0 && !WRAPPER.test(l));
  let pool = informative.length > 0 ? informative : strong.filter((l) => l.length > 0);
  if (seen) {
    const fresh = pool.filter((l) => !seen(l));
    if (fresh.length > 0) pool = fresh;
  }
  const out: string[] = [];
  const keys = new Set<string>();
  for (const l of pool) {
    const k = normaliseKey(l);
    if (keys.has(k)) continue;
    keys.add(k);
    out.push(l.length > 500 ? `${l.slice(0, 499)}…` : l);
    if (out.length === MAX_KEY_LINES) break;
  }
  return out;
}
