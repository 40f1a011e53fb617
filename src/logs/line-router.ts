// The hot path of analyzeLog. Most lines of a job log say nothing about its failure: this decides, per region of
// complete lines, which lines can possibly matter (one SIMD scan of the whole region for error words, and a few
// byte checks per line for the shapes the annotation parsers know, both in WebAssembly: scan/teddy.wat), and hands
// only those, decoded and cleaned, to the collector and the parsers. The other lines are counted; the last few of
// them are decoded on demand, when the collector needs them as a step's tail or as context before an anchor.

import type { AnnotationEngine } from "./annotations/engine.js";
import type { RegionSink } from "./byte-reader.js";
import { cleanLine, cleanLineBytes, MAX_LINE_CHARS, truncateLine } from "./clean.js";
import type { LogCollector } from "./collector.js";
import { ByteLineRing, detach } from "./recent-lines.js";
import { type CandidateScanner, createCandidateScanner } from "./scan/candidate-scanner.js";
import { BLANK, LOOK, QUIET, QUIET_INDENTED } from "./scan/line-shape.js";

export class LineRouter implements RegionSink {
  /** The latest lines, skipped ones as byte ranges; the collector reads its tails and contexts from it. */
  private readonly ring = new ByteLineRing();
  lineCount = 0;

  constructor(
    private readonly collector: LogCollector,
    private readonly engine: AnnotationEngine | undefined,
    /** Where the words that make a line worth a look may start (see scan/literals.ts). */
    private readonly scanner: CandidateScanner = createCandidateScanner(),
  ) {
    collector.recent = this.ring;
    collector.standaloneLines = true;
  }

  /** Whether the collector and the parsers would do nothing with a quiet line but count it. */
  private canSkip(): boolean {
    return this.collector.quiet && !(this.engine?.busy ?? false);
  }

  /** `buf` is about to be overwritten by its reader: lines still pointing into it are decoded now. */
  retire(buf: Buffer): void {
    this.ring.retire(buf);
  }

  region(b: Buffer): void {
    const lines = this.scanner.lines(b);
    this.classified(b, lines.ends, lines.codes, lines.count);
  }

  /** A region whose `n` lines were classified already (see classifyLines): line i ends at ends[i]. */
  classified(b: Buffer, ends: Int32Array, codes: Uint8Array, n: number): void {
    const ring = this.ring;
    const engine = this.engine;
    let s = 0;
    let i = 0;
    while (i < n) {
      if (this.canSkip()) {
        // The lines up to the next one that matters go by as one run: counted, and recorded as one byte range.
        const eslint = engine?.inEslintBlock;
        let j = i;
        let blankOnly = true;
        if (eslint) {
          // Inside an eslint block an indented line can be a row, and a blank line ends the block.
          while (j < n && codes[j] === QUIET) j++;
          blankOnly = j === i;
          if (blankOnly && codes[j] === BLANK) {
            engine.blankLine();
            j++;
          }
        } else {
          // A blank line would only end an eslint block (AnnotationEngine#blankLine): there is none. (indexOf runs in
          // C++, several times faster than a loop here.)
          j = codes.indexOf(LOOK, i);
          if (j < 0 || j > n) j = n;
          // Whether the run is all blank matters only until the log has shown some text.
          if (this.collector.nonEmpty === 0) for (let k = i; k < j && blankOnly; k++) blankOnly = codes[k] === BLANK;
        }
        if (j > i) {
          const e = ends[j - 1]!;
          ring.skipRun(b, s, e, j - i);
          this.lineCount += j - i;
          this.collector.pushQuiet(j - i, !blankOnly);
          s = e + 1;
          i = j;
          continue;
        }
      }
      // A line one of the two must see. The other sees it only if it would do more than count it (the same test as
      // canSkip, per reader): the lines after an error go to the collector as context, not to the parsers.
      const e = ends[i]!;
      const code = codes[i]!;
      this.lineCount++;
      const collector = code === LOOK || !this.collector.quiet;
      const parser =
        engine !== undefined && (code === LOOK || engine.busy || (code === QUIET_INDENTED && engine.inEslintBlock));
      // Cut to MAX_LINE_CHARS with a marker, if need be, by cleanLineBytes.
      const text = cleanLineBytes(b, s, e);
      if (collector) this.collector.push(text);
      else {
        ring.skipRun(b, s, e, 1);
        this.collector.pushQuiet(1, code !== BLANK);
      }
      if (parser) engine.push(text);
      else if (code === BLANK) engine?.blankLine();
      s = e + 1;
      i++;
    }
  }

  end(): void {}

  overlong(head: Buffer, dropped: number): void {
    this.lineCount++;
    // Copied: a cut of the head would keep all of it (16 KB) alive.
    const line = detach(cleanLine(head.toString("utf8")));
    // cleanLine cut it to MAX_LINE_CHARS at most; the marker counts what the reader dropped too.
    const text = truncateLine(line.slice(0, MAX_LINE_CHARS), head.length + dropped);
    this.collector.push(text);
    this.engine?.push(text);
  }
}
