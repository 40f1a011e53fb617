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
  if (
    c0 < 48 ||
    c0 > 57 ||
    text.charCodeAt(from + 4) !== 45 ||
    text.charCodeAt(from + 7) !== 45 ||
    text.charCodeAt(from + 10) !== 84 ||
    text.charCodeAt(from + 13) !== 58
  )
    return 0;
  const z = text.indexOf("Z", from + 19);
  if (z < 0 || z > from + 40 || z >= to) return 0;
  return z + 1 < to && text.charCodeAt(z + 1) === 32 ? z + 2 - from : z + 1 - from;
}

/**
 * timestampLengthAt on the bytes [s, end) of a line, for readers of bytes (line-shape.ts). Byte and char offsets agree
 * as far as the checks go when the line is ASCII there; a line where they do not is at worst looked at more closely.
 */
export function timestampLengthBytes(b: Uint8Array, s: number, end: number): number {
  const c0 = b[s]!;
  if (end - s < 21 || c0 < 48 || c0 > 57 || b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 10] !== 84 || b[s + 13] !== 58)
    return 0;
  // The first `Z` from offset 19 on ends it, within 40 bytes.
  let z = s + 19;
  const last = Math.min(s + 40, end - 1);
  while (z <= last && b[z] !== 90) z++;
  if (z > last) return 0;
  return z + 1 < end && b[z + 1] === 32 ? z + 2 - s : z + 1 - s;
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
const utf8 = (b: Buffer, start: number, end: number) =>
  (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);

/** Bytes of the usual runner prefix, `2024-01-02T03:04:05.1234567Z `. */
export const USUAL_TIMESTAMP = 29;

/**
 * Whether the bytes [s, end) start with the usual runner prefix, `2024-01-02T03:04:05.1234567Z ` (USUAL_TIMESTAMP
 * bytes), which timestampLength would cut: checked at fixed offsets, all ASCII so that byte offsets are the char
 * offsets it counts in, and no `Z` before the last, where it would stop.
 */
export function usualTimestampAt(b: Uint8Array, s: number, end: number): boolean {
  if (end - s < USUAL_TIMESTAMP || b[s + 27] !== 90 || b[s + 28] !== 32 || b[s + 19] !== 46) return false;
  if (b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 10] !== 84 || b[s + 13] !== 58 || b[s]! < 48 || b[s]! > 57)
    return false;
  for (let i = s; i < s + 27; i++) if (b[i]! >= 0x80 || b[i] === 90) return false;
  return true;
}

/**
 * cleanLine of the UTF-8 line b[start, end), decoding only its text: a trailing \r and the usual runner timestamp
 * are cut on bytes. Anything less usual (a BOM, another timestamp form) is decoded whole and goes through cleanLine.
 */
export function cleanLineBytes(b: Buffer, start: number, end: number): string {
  const e = end > start && b[end - 1] === 13 ? end - 1 : end;
  return usualTimestampAt(b, start, e)
    ? cleanText(utf8(b, start + USUAL_TIMESTAMP, e))
    : cleanLine(utf8(b, start, end));
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
