// Turns one raw log line into the text a person would read in the Actions UI.

import { MAX_LINE_CHARS } from "./limits.js";

export { MAX_LINE_CHARS } from "./limits.js";

// CSI sequences (colours, cursor moves), OSC sequences (hyperlinks, titles), charset selects and two-char escapes (ESC =, ESC >).
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|\([0-9A-Za-z]|[0-?@-Z\\^_])/g;

/** Removes escape sequences. Colour codes (CSI) are cut with indexOf and slices, twice as fast as the regex, which
 *  remains the fallback for the rarer forms (OSC links, charset selects, keypad modes). */
export function stripAnsi(line: string): string {
  let out = "";
  let last = 0;
  let i = line.indexOf("\x1b");
  while (i >= 0) {
    if (line.charCodeAt(i + 1) !== 91 /* [ */) return out + line.slice(last).replace(ANSI, "");
    let j = i + 2;
    let c = line.charCodeAt(j);
    // Parameter and intermediate bytes (0x20–0x3F), then one final byte (0x40–0x7E).
    while (c >= 0x20 && c <= 0x3f) c = line.charCodeAt(++j);
    if (!(c >= 0x40 && c <= 0x7e)) return out + line.slice(last).replace(ANSI, "");
    out += line.slice(last, i);
    last = j + 1;
    i = line.indexOf("\x1b", last);
  }
  return last === 0 ? line : out + line.slice(last);
}

/** Length of a leading `2024-01-02T03:04:05.1234567Z ` runner timestamp, 0 when absent. Char checks, no regex: hot path. */
export function timestampLength(line: string): number {
  return timestampLengthAt(line, 0, line.length);
}

/** timestampLength of the line `text[from, to)`, without slicing it out. */
export function timestampLengthAt(text: string, from: number, to: number): number {
  if (to - from < 21) return 0;
  const c0 = text.charCodeAt(from);
  if (c0 < 48 || c0 > 57 || text.charCodeAt(from + 4) !== 45 || text.charCodeAt(from + 7) !== 45 || text.charCodeAt(from + 10) !== 84 || text.charCodeAt(from + 13) !== 58) return 0;
  const z = text.indexOf("Z", from + 19);
  if (z < 0 || z > from + 40 || z >= to) return 0;
  return z + 1 < to && text.charCodeAt(z + 1) === 32 ? z + 2 - from : z + 1 - from;
}

/** Strips timestamp, carriage-return progress, ANSI codes and BOM; truncates very long lines with a marker. */
export function cleanLine(raw: string): string {
  let line = raw;
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  const ts = timestampLength(line);
  return cleanText(ts > 0 ? line.slice(ts) : line);
}

// Buffer#toString validates its arguments on every call, which costs more than decoding a short line.
const utf8 = (b: Buffer, start: number, end: number) => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);

/** Bytes of the usual runner prefix, `2024-01-02T03:04:05.1234567Z `. */
const USUAL_TIMESTAMP = 29;

/**
 * cleanLine of the UTF-8 line b[start, end), decoding only its text: a trailing \r and the usual runner timestamp
 * are cut on bytes. Anything less usual (a BOM, another timestamp form) is decoded whole and goes through cleanLine.
 */
export function cleanLineBytes(b: Buffer, start: number, end: number): string {
  let e = end;
  if (e > start && b[e - 1] === 13) e--;
  if (e - start < USUAL_TIMESTAMP || b[start + 27] !== 90 || b[start + 28] !== 32 || b[start + 19] !== 46) return cleanLine(utf8(b, start, end));
  // All ASCII, so that byte offsets are the char offsets timestampLength counts in.
  for (let i = start; i < start + 27; i++) if (b[i]! >= 0x80 || b[i] === 90) return cleanLine(utf8(b, start, end));
  if (b[start + 4] !== 45 || b[start + 7] !== 45 || b[start + 10] !== 84 || b[start + 13] !== 58 || b[start]! < 48 || b[start]! > 57) return cleanLine(utf8(b, start, end));
  return cleanText(utf8(b, start + USUAL_TIMESTAMP, e));
}

/** What cleanLine does after the timestamp: carriage-return progress, ANSI codes, a BOM, a length cap. */
function cleanText(text: string): string {
  let line = text;
  // Progress bars redraw with \r: the terminal shows only what follows the last one.
  const cr = line.lastIndexOf("\r");
  if (cr >= 0) {
    let last = line.slice(cr + 1);
    // A trailing \r before the line end leaves the last non-empty redraw visible.
    if (last.length === 0) {
      const parts = line.split("\r").filter((p) => p.length > 0);
      last = parts[parts.length - 1] ?? "";
    }
    line = last;
  }
  if (line.indexOf("\x1b") >= 0) line = stripAnsi(line);
  if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  if (line.length > MAX_LINE_CHARS) line = truncateLine(line, line.length);
  return line;
}

export function truncateLine(line: string, fullLength: number): string {
  return `${line.slice(0, MAX_LINE_CHARS)} …[line truncated, ${fullLength - MAX_LINE_CHARS} more chars]`;
}
