// Which lines of a region could matter to the collector or the parsers, decided from their bytes alone: a word of
// literals.ts in them, or a start some recogniser looks at (workflow commands, pytest and shellcheck blocks,
// `file:line` locations, eslint file headers).
//
// These rules exist twice: here in JavaScript (the reference, used with the regular-expression scanner) and in
// teddy.wat's `classify`, beside this file, which applies them in WebAssembly right after the SIMD scan. Change one,
// change the other (`npm run build:wasm`); the first-byte table and the lead words are data, written into the
// WebAssembly memory from here, so adding a lead word needs no change there. test/logs/scan/line-shape.test.ts checks
// that the two agree line by line. Why both: see BENCHMARKS.md, "Line kinds in WebAssembly".

import { MAX_LINE_CHARS, timestampLengthBytes, USUAL_TIMESTAMP, usualTimestampAt } from "../clean.js";
import type { Candidates } from "./candidates.js";

/** Must be looked at. */
export const LOOK = 0;
/** Says nothing, unless the collector or a parser is in the middle of something. */
export const QUIET = 1;
/** As QUIET, but indented: inside an eslint block it can be a row. */
export const QUIET_INDENTED = 2;
/** Empty once cleaned; ends an eslint block. */
export const BLANK = 3;

const SPACE = 32;
const TAB = 9;
const ESC = 27;
const CR = 13;
const COLON = 58;

/**
 * Line starts (after indentation) that some recogniser looks at even without an error word, by first byte. The table
 * is data so that the WebAssembly classifier (teddy.wat) applies the very same rules.
 */
const LEAD_NONE = 0;
/** The first byte settles it. */
export const LEAD_LOOK = 1;
/** When a space follows: pytest's `E   …`. */
export const LEAD_SPACE = 2;
/** Digits then `)`: numbered failure headers, `1) test name`. */
export const LEAD_NUMBERED = 3;
/** LEAD_WORD + k: the line starts with LEAD_WORDS[k]. */
export const LEAD_WORD = 4;
export const LEAD_WORDS: readonly string[] = [
  "For more information",
  "Post job cleanup.",
  "Cleaning up orphan processes",
  "In ",
  "at ",
  "ok ",
  "Uncaught ",
  // The first command a CI runner echoes ends its preamble (LogCollector#firstCommand).
  "$ ",
  // Pester's failed test, `[-] name 12ms`: no error word on the line.
  "[-] ",
];

/** LEAD_* by first byte. */
export const LEAD = new Uint8Array(256);
// ##[group], ##[error]; ::error; pytest ____ test ____; === FAILURES / === RUN; BOM; shellcheck `^-- SC2086 (info): …`.
for (const c of "#:_=^") LEAD[c.charCodeAt(0)] = LEAD_LOOK;
LEAD[0xef] = LEAD_LOOK;
LEAD["E".charCodeAt(0)] = LEAD_SPACE;
for (let d = 48; d <= 57; d++) LEAD[d] = LEAD_NUMBERED;
LEAD_WORDS.forEach((w, k) => {
  if (LEAD[w.charCodeAt(0)] !== LEAD_NONE) throw new Error(`two lead rules for ${JSON.stringify(w[0])}`);
  LEAD[w.charCodeAt(0)] = LEAD_WORD + k;
});
const WORD_BYTES = LEAD_WORDS.map((w) => Uint8Array.from(Buffer.from(w, "latin1")));

/** Whether the line whose text starts at p (first byte `lead`, LEAD[b[p]] !== LEAD_NONE) and ends at `end` is one. */
function leadNeedsLook(b: Uint8Array, p: number, end: number, lead: number): boolean {
  if (lead === LEAD_LOOK) return true;
  if (lead === LEAD_SPACE) return b[p + 1] === SPACE;
  if (lead === LEAD_NUMBERED) {
    let j = p + 1;
    while (j < end && b[j]! >= 48 && b[j]! <= 57) j++;
    return j < end && b[j] === 41;
  }
  const word = WORD_BYTES[lead - LEAD_WORD]!;
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return false;
  return true;
}

/**
 * Classifies the lines of `b` (complete lines, each ending with `\n`, as in `cand.newlines`): writes each line's end
 * offset to `ends` and its kind (LOOK, QUIET, QUIET_INDENTED, BLANK) to `codes`, and returns the number of lines.
 * Both arrays must have room for one entry per newline.
 */
export function classifyLines(b: Uint8Array, cand: Candidates, ends: Int32Array, codes: Uint8Array): number {
  const len = b.length;
  const { positions, count, newlines, newlineCount, base } = cand;
  let ci = 0;
  // Past every line end, the last one included (a buffer may end without a newline).
  let next = count > 0 ? positions[0]! - base : len + 1;
  let cr = -1;
  let s = 0;
  let li = 0;
  let n = 0;
  while (s < len) {
    const e = li < newlineCount ? Math.min(newlines[li++]! - base, len) : len;
    ends[n] = e;
    if (next < e || e - s > MAX_LINE_CHARS) codes[n++] = LOOK;
    else {
      // The next CR is looked up lazily, only once a line at or past the last one found needs it.
      if (cr < s) cr = indexOfCr(b, s, len);
      codes[n++] = shapeOf(b, s, e, cr);
    }
    s = e + 1;
    while (next < s) next = ++ci < count ? positions[ci]! - base : len + 1;
  }
  return n;
}

function indexOfCr(b: Uint8Array, from: number, len: number): number {
  const i = b.indexOf(CR, from);
  return i < 0 ? len : i;
}

/** The kind of the line [s, e) that holds none of the literals; `cr` is the first `\r` at or after s (or beyond). */
function shapeOf(b: Uint8Array, s: number, e: number, cr: number): number {
  // Where the text a person reads starts: after the timestamp and, for \r progress redraws, the last \r.
  let end = e;
  while (end > s && b[end - 1] === CR) end--;
  let p = s;
  // The usual runner timestamp is recognised at fixed offsets.
  p += usualTimestampAt(b, s, end) ? USUAL_TIMESTAMP : timestampLengthBytes(b, s, end);
  if (cr < end) {
    p = b.lastIndexOf(CR, end - 1) + 1;
    // Nothing after the last redraw: cleanLine then keeps an earlier one.
    if (p === end) return LOOK;
  }
  let indented = false;
  while (p < end) {
    const ch = b[p];
    if (ch === SPACE || ch === TAB) {
      indented = true;
      p++;
    } else if (ch === ESC) {
      // Colour codes (CSI) are skipped; rarer escapes go the slow way.
      if (p + 1 >= end || b[p + 1] !== 91) return LOOK;
      let j = p + 2;
      let k = j < end ? b[j]! : 0;
      while (k >= 0x20 && k <= 0x3f) k = ++j < end ? b[j]! : 0;
      if (!(k >= 0x40 && k <= 0x7e)) return LOOK;
      p = j + 1;
    } else break;
  }
  if (p >= end) return BLANK;
  const lead = LEAD[b[p]!]!;
  if (lead !== LEAD_NONE && leadNeedsLook(b, p, end, lead)) return LOOK;
  // A first token with `:` can be a `file:line` location; a lone token at column 0 an eslint file header.
  let q = p;
  while (q < end) {
    const d = b[q];
    if (d === SPACE) break;
    if (d === COLON || d === TAB) return LOOK;
    q++;
  }
  if (q === end && !indented) return LOOK;
  return indented ? QUIET_INDENTED : QUIET;
}
