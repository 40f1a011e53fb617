// Does an excerpt open with a line a person would skip? The rule: environment dumps, package manager progress,
// sudoers and system banners must never head an excerpt. Definition used by EVALUATION.md: the excerpt's first line
// (after the leading cut marker) is noise when src/logs/noise.ts classifies it so, or when it lies before the log's
// first command (the runner's preamble: worker and system information, tools' version banners), and in both cases is
// no unmistakable error (anchor strength 3: a failed set-up, or an error worded like noise such as `can not run
// elasticsearch as root`), as the excerpt's own rule (excerpt.ts, skippable) has it.

import { anchorStrength } from "../logs/anchors.js";
import { cleanLine } from "../logs/clean.js";
import { ECHOED_COMMAND_WITHIN } from "../logs/collector.js";
import { isNoise } from "../logs/noise.js";

const MARKER = /^… ([\d,]+) lines? omitted …$/;

/** The excerpt's first non-blank line and its 1-based line number in the log (cut markers count the lines cut). */
export function excerptHead(excerpt: string): { n: number; text: string } | undefined {
  let n = 1;
  for (const line of excerpt.split("\n")) {
    const m = MARKER.exec(line);
    if (m) n += Number(m[1]!.replace(/,/g, ""));
    else if (line.trim().length === 0) n++;
    else return { n, text: line };
  }
  return undefined;
}

/**
 * 1-based line of the log's first command, as the collector finds it (LogCollector#firstCommand): the first
 * `##[group]Run` header, or `$ command` echo within ECHOED_COMMAND_WITHIN lines, after cleaning. Undefined when there
 * is none.
 */
export function firstCommandLine(raw: string): number | undefined {
  let n = 0;
  let start = 0;
  while (start <= raw.length) {
    const nl = raw.indexOf("\n", start);
    const end = nl < 0 ? raw.length : nl;
    n++;
    const line = cleanLine(raw.slice(start, end));
    if ((n <= ECHOED_COMMAND_WITHIN && line.startsWith("$ ")) || line.startsWith("##[group]Run ")) return n;
    if (nl < 0) break;
    start = nl + 1;
  }
  return undefined;
}

/** Whether the excerpt of the log `raw` opens with noise (see the definition above). */
export function opensWithNoise(excerpt: string, raw: string): boolean {
  const head = excerptHead(excerpt);
  if (!head) return false;
  const text = head.text.trim();
  if (anchorStrength(text) === 3) return false;
  if (isNoise(text)) return true;
  const first = firstCommandLine(raw);
  return first !== undefined && head.n < first;
}
