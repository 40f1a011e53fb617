// The hot path of analyzeLog. Most lines of a job log say nothing about its failure: this decides, per region of
// complete lines, which lines can possibly matter (one regex scan of the whole region for error words, and a few
// character checks per line for the shapes the annotation parsers know), and hands only those, decoded and cleaned,
// to the collector and the parsers. The other lines are counted; the last few of them are decoded on demand, when
// the collector needs them as a step's tail or as context before an anchor.

import type { AnnotationEngine } from "./annotations/engine.js";
import { MAX_LINE_CHARS, cleanLine, timestampLengthAt, truncateLine } from "./clean.js";
import type { RegionSink } from "./byte-reader.js";
import { TAIL_LINES, type KeptLine, type LogCollector } from "./collector.js";

// Buffer#toString validates its arguments on every call, which costs more than decoding a short line.
interface FastSlices {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}
const utf8 = (b: Buffer, start: number, end: number) => (b as unknown as FastSlices).utf8Slice(start, end);

// Scanned over the region decoded as latin1 (one byte per char, no UTF-8 decoding): symbols appear as their UTF-8
// bytes. A superset of the collector's anchor prefilter and of the words the annotation parsers key on: err, exc,
// exit, expect, fail, fatal, panic, assert, abort, warn, Traceback, Killed, denied, No space left, Segmentation
// fault, Too many open files, -----BEGIN, ✗ ✖ ✘ ✕ ▲ ❯ ● ×. Written as one class of first letters followed by
// the rests of the words: irregexp then tests one character class per position, where an alternation of whole words
// with different first letters costs about 1.6× as much (measured). Cross pairs it also matches (`array`, `daily`)
// only send a line the slow way. Case variants are spelled out: a case-insensitive scan is slower still, and mixed
// case like `ErRoR` is not how tools print.
const CANDIDATE = new RegExp(
  "[EeFfPpAaWwTKdNS\\-\\xe2\\xc3](?:rr|RR|xc|XC|xit|XIT|xpect|XPECT|ail|AIL|atal|ATAL|anic|ANIC|ssert|SSERT|bort|BORT|arn|ARN" +
    "|raceback|oo many open files|illed|enied|o space left|egmentation fault|----BEGIN" +
    // ✕ ✖ ✗ ✘ (E2 9C 95–98), ▲ (E2 96 B2), ❯ (E2 9D AF), ● (E2 97 8F) and × (C3 97).
    "|\\x9c[\\x95-\\x98]|\\x96\\xb2|\\x9d\\xaf|\\x97)",
  "g",
);

const SPACE = 32;
const TAB = 9;
const ESC = 27;
const CR = 13;

/** Line starts (after indentation) that some recogniser looks at even without an error word. */
function leadNeedsLook(t: string, p: number, c: number): boolean {
  switch (c) {
    case 35: // ##[group], ##[error]
    case 58: // ::error
    case 95: // pytest ____ test ____
    case 61: // === FAILURES / === RUN
    case 0xef: // BOM
      return true;
    case 69: // pytest `E   …`
      return t.charCodeAt(p + 1) === SPACE;
    case 94: // shellcheck `^-- SC2086 (info): …`
      return true;
    case 70:
      return t.startsWith("For more information", p);
    case 80:
      return t.startsWith("Post job cleanup.", p);
    case 67:
      return t.startsWith("Cleaning up orphan processes", p);
    case 73:
      return t.startsWith("In ", p);
    case 97:
      return t.startsWith("at ", p);
    case 111:
      return t.startsWith("ok ", p);
    case 85:
      return t.startsWith("Uncaught ", p);
    default: {
      if (c < 48 || c > 57) return false;
      // Numbered failure headers: `1) test name`.
      let j = p + 1;
      while (j < t.length && t.charCodeAt(j) >= 48 && t.charCodeAt(j) <= 57) j++;
      return t.charCodeAt(j) === 41;
    }
  }
}

export class LineRouter implements RegionSink {
  /** Offsets (into the current region) of the latest skipped lines, a ring of TAIL_LINES. */
  private readonly starts = new Int32Array(TAIL_LINES);
  private readonly ends = new Int32Array(TAIL_LINES);
  /** The region each of them lies in: a tail can reach back over a few regions. */
  private readonly bufs: Buffer[] = new Array<Buffer>(TAIL_LINES);
  private skipped = 0;
  private skippedNonBlank = false;
  lineCount = 0;

  /** Tail lines handed to the collector whose text is still to be decoded, oldest first, with their offsets. */
  private unresolved: KeptLine[] = [];
  private unresolvedStart: number[] = [];
  private unresolvedEnd: number[] = [];
  private unresolvedBuf: Buffer[] = [];

  constructor(
    private readonly collector: LogCollector,
    private readonly engine: AnnotationEngine | undefined,
  ) {
    collector.resolveTail = (lines) => this.resolve(lines);
  }

  /** Decodes the pending tail lines among the last `lines` lines of the log. */
  private resolve(lines: number): void {
    // +1: the collector asks while it handles a line it has already counted.
    const after = this.collector.lineCount - lines - 1;
    const u = this.unresolved;
    while (u.length > 0 && u[u.length - 1]!.n > after) {
      const l = u.pop()!;
      l.text = cleanLine(utf8(this.unresolvedBuf.pop()!, this.unresolvedStart.pop()!, this.unresolvedEnd.pop()!));
    }
  }

  region(buf: Buffer): void {
    const t = (buf as unknown as FastSlices).latin1Slice(0, buf.length);
    const len = t.length;
    CANDIDATE.lastIndex = 0;
    let cand = CANDIDATE.exec(t)?.index ?? len;
    let colon = -1;
    let tab = -1;
    let cr = -1;
    let s = 0;
    while (s < len) {
      const e = t.indexOf("\n", s);
      this.lineCount++;
      let quick = e - s <= MAX_LINE_CHARS && cand >= e;
      if (quick) quick = this.collector.quiet && !(this.engine?.busy ?? false);
      if (quick) {
        // Where the text a person reads starts: after the timestamp and, for \r progress redraws, the last \r.
        let end = e;
        while (end > s && t.charCodeAt(end - 1) === CR) end--;
        let c = s + timestampLengthAt(t, s, end);
        if (cr < s) cr = t.indexOf("\r", s);
        if (cr >= 0 && cr < end) {
          c = t.lastIndexOf("\r", end - 1) + 1;
          // Nothing after the last redraw: cleanLine then keeps an earlier one.
          if (c === end) quick = false;
        } else if (cr < 0) cr = len;
        let p = c;
        let indented = false;
        while (quick && p < end) {
          const ch = t.charCodeAt(p);
          if (ch === SPACE || ch === TAB) {
            indented = true;
            p++;
          } else if (ch === ESC) {
            // Colour codes (CSI) are skipped; rarer escapes go the slow way.
            if (t.charCodeAt(p + 1) !== 91) quick = false;
            let j = p + 2;
            let k = t.charCodeAt(j);
            while (k >= 0x20 && k <= 0x3f) k = t.charCodeAt(++j);
            if (!(k >= 0x40 && k <= 0x7e)) quick = false;
            p = j + 1;
          } else break;
        }
        if (quick && p < end) {
          if (leadNeedsLook(t, p, t.charCodeAt(p))) quick = false;
          else if (indented && this.engine?.inEslintBlock) quick = false;
          else {
            let sp = t.indexOf(" ", p);
            if (sp < 0 || sp > end) sp = end;
            if (tab < p) tab = t.indexOf("\t", p);
            if (tab < 0) tab = len;
            if (colon < p) colon = t.indexOf(":", p);
            if (colon < 0) colon = len;
            // A first token with `:` can be a `file:line` location; a lone token at column 0 an eslint file header.
            if (tab < sp || colon < sp || (!indented && sp === end)) quick = false;
            else this.skippedNonBlank = true;
          }
        } else if (quick) {
          this.engine?.blankLine();
        }
      }
      if (quick) {
        const slot = this.skipped % TAIL_LINES;
        this.starts[slot] = s;
        this.ends[slot] = e;
        this.bufs[slot] = buf;
        this.skipped++;
      } else {
        this.flushSkipped();
        let text = cleanLine(utf8(buf, s, e));
        if (text.length > MAX_LINE_CHARS + 64) text = truncateLine(text.slice(0, MAX_LINE_CHARS), text.length);
        this.collector.push(text);
        this.engine?.push(text);
      }
      s = e + 1;
      if (cand < s) {
        CANDIDATE.lastIndex = s;
        cand = CANDIDATE.exec(t)?.index ?? len;
      }
    }
  }

  end(): void {
    this.flushSkipped();
  }

  overlong(head: Buffer, dropped: number): void {
    this.flushSkipped();
    this.lineCount++;
    const line = cleanLine(head.toString("utf8"));
    const text = line.length <= MAX_LINE_CHARS + 64 ? truncateLine(line.slice(0, MAX_LINE_CHARS), head.length + dropped) : line;
    this.collector.push(text);
    this.engine?.push(text);
  }

  /** Tells the collector about the skipped lines; their texts are decoded only if the collector asks (resolve). */
  private flushSkipped(): void {
    const n = this.skipped;
    if (n === 0) return;
    const keep = Math.min(n, TAIL_LINES);
    const first = this.collector.lineCount + n - keep + 1;
    const lines: KeptLine[] = new Array<KeptLine>(keep);
    if (this.unresolved.length > 4 * TAIL_LINES) {
      // Older pending lines are out of any tail by now.
      this.unresolved = this.unresolved.slice(-TAIL_LINES);
      this.unresolvedStart = this.unresolvedStart.slice(-TAIL_LINES);
      this.unresolvedEnd = this.unresolvedEnd.slice(-TAIL_LINES);
      this.unresolvedBuf = this.unresolvedBuf.slice(-TAIL_LINES);
    }
    for (let i = 0; i < keep; i++) {
      const slot = (n - keep + i) % TAIL_LINES;
      const line: KeptLine = { n: first + i, text: "", strength: 0 };
      lines[i] = line;
      this.unresolved.push(line);
      this.unresolvedStart.push(this.starts[slot]!);
      this.unresolvedEnd.push(this.ends[slot]!);
      this.unresolvedBuf.push(this.bufs[slot]!);
    }
    this.collector.pushQuiet(n, lines, this.skippedNonBlank);
    this.skipped = 0;
    this.skippedNonBlank = false;
  }
}
