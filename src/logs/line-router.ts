// The hot path of analyzeLog. Most lines of a job log say nothing about its failure: this decides, per region of
// complete lines, which lines can possibly matter (one SIMD scan of the whole region for error words, and a few
// character checks per line for the shapes the annotation parsers know), and hands only those, decoded and cleaned,
// to the collector and the parsers. The other lines are counted; the last few of them are decoded on demand, when
// the collector needs them as a step's tail or as context before an anchor.

import type { AnnotationEngine } from "./annotations/engine.js";
import { MAX_LINE_CHARS, cleanLine, truncateLine } from "./clean.js";
import { BLANK, LOOK, QUIET_INDENTED, classifyLines } from "./line-shape.js";
import type { RegionSink } from "./byte-reader.js";
import type { LogCollector } from "./collector.js";
import { ByteLineRing } from "./recent-lines.js";
import { createCandidateScanner, type CandidateScanner } from "./scan/candidate-scanner.js";

// Buffer#toString validates its arguments on every call, which costs more than decoding a short line.
const utf8 = (b: Buffer, start: number, end: number) => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);

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
  }

  /** Whether the collector and the parsers would do nothing with a quiet line but count it. */
  private canSkip(): boolean {
    return this.collector.quiet && !(this.engine?.busy ?? false);
  }

  /** `buf` is about to be overwritten by its reader: lines still pointing into it are decoded now. */
  retire(buf: Buffer): void {
    this.ring.retire(buf);
  }

  private ends = new Int32Array(0);
  private codes = new Uint8Array(0);

  region(b: Buffer): void {
    const cand = this.scanner.scan(b);
    if (this.ends.length < cand.newlineCount + 1) {
      this.ends = new Int32Array(cand.newlineCount * 2 + 1);
      this.codes = new Uint8Array(cand.newlineCount * 2 + 1);
    }
    this.classified(b, this.ends, this.codes, classifyLines(b, cand, this.ends, this.codes));
  }

  /** A region whose `n` lines were classified already (see classifyLines): line i ends at ends[i]. */
  classified(b: Buffer, ends: Int32Array, codes: Uint8Array, n: number): void {
    const ring = this.ring;
    const engine = this.engine;
    let canSkip = this.canSkip();
    let skipped = 0;
    let nonBlank = false;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = ends[i]!;
      const code = codes[i]!;
      if (canSkip && code !== LOOK && (code !== QUIET_INDENTED || engine === undefined || !engine.inEslintBlock)) {
        if (code === BLANK) engine?.blankLine();
        else nonBlank = true;
        ring.skip(b, s, e);
        skipped++;
      } else {
        this.lineCount += skipped;
        this.flushSkipped(skipped, nonBlank);
        skipped = 0;
        nonBlank = false;
        this.lineCount++;
        let text = cleanLine(utf8(b, s, e));
        if (text.length > MAX_LINE_CHARS + 64) text = truncateLine(text.slice(0, MAX_LINE_CHARS), text.length);
        this.collector.push(text);
        engine?.push(text);
        canSkip = this.canSkip();
      }
      s = e + 1;
    }
    this.lineCount += skipped;
    this.flushSkipped(skipped, nonBlank);
  }

  end(): void {}

  overlong(head: Buffer, dropped: number): void {
    this.lineCount++;
    const line = cleanLine(head.toString("utf8"));
    const text = line.length <= MAX_LINE_CHARS + 64 ? truncateLine(line.slice(0, MAX_LINE_CHARS), head.length + dropped) : line;
    this.collector.push(text);
    this.engine?.push(text);
  }

  /** Tells the collector about skipped lines (the ring already holds them). */
  private flushSkipped(n: number, nonBlank: boolean): void {
    if (n > 0) this.collector.pushQuiet(n, nonBlank);
  }
}
