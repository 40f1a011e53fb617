// The latest lines of a log, for a step's tail and the context before an anchor. Most of them are never looked at:
// the byte ring keeps only where a skipped line lies and decodes it when asked, so a quiet line costs three stores.

import { cleanLine } from "./clean.js";
import type { KeptLine } from "./collector.js";

/** Lines kept: a step's tail is at most TAIL_LINES (collector.ts) long. */
const RING = 256;
const MASK = RING - 1;

export interface RecentLines {
  /** The next line of the log, as the collector handled it. */
  add(line: KeptLine): void;
  /** The last `k` lines of the log seen so far (k ≤ 256), oldest first; texts do not keep any larger string alive. */
  last(k: number): KeptLine[];
  /** The same lines from line `from` on, kept for later: most closed steps' tails are never read. */
  snapshot(k: number, from: number): TailSnapshot;
}

/** A step's tail, decoded when read. */
export interface TailSnapshot {
  readonly length: number;
  /** All of it, oldest first. */
  lines(): KeptLine[];
  /** Its last `n` lines; the others are not decoded. */
  last(n: number): KeptLine[];
}

class EagerSnapshot implements TailSnapshot {
  constructor(private readonly kept: KeptLine[]) {}
  get length(): number {
    return this.kept.length;
  }
  lines(): KeptLine[] {
    return this.kept;
  }
  last(n: number): KeptLine[] {
    return this.kept.slice(-n);
  }
}

/**
 * A copy of the string that does not keep its source alive. Lines are slices of 64 KB–1 MB decoded chunks; V8 keeps
 * the whole chunk in memory while a slice of it lives, so anything stored beyond the current chunk is copied.
 */
export function detach(s: string): string {
  return (" " + s).slice(1);
}

/** For callers that hand the collector every line. */
export class LineRing implements RecentLines {
  private readonly lines = new Array<KeptLine>(RING);
  private count = 0;

  add(line: KeptLine): void {
    this.lines[this.count++ & MASK] = line;
  }

  last(k: number): KeptLine[] {
    const from = Math.max(0, this.count - Math.min(k, RING));
    const out: KeptLine[] = [];
    for (let i = from; i < this.count; i++) {
      const l = this.lines[i & MASK]!;
      out.push({ ...l, text: detach(l.text) });
    }
    return out;
  }

  snapshot(k: number, from: number): TailSnapshot {
    return new EagerSnapshot(this.last(k).filter((l) => l.n >= from));
  }
}

/** Skipped lines as one copy of their bytes (a memcpy, where decoding would cost about a microsecond a line). */
class ByteSnapshot implements TailSnapshot {
  private decoded: KeptLine[] | undefined;
  constructor(
    /** Lines the collector handled, and placeholders (text unset) for skipped ones. */
    private readonly kept: KeptLine[],
    private readonly bytes: Buffer,
    /** For each placeholder, in order: its start in `bytes` (the next one's start is its end). */
    private readonly offsets: Int32Array,
  ) {}

  get length(): number {
    return this.kept.length;
  }

  lines(): KeptLine[] {
    this.decoded ??= this.decode(0);
    return this.decoded;
  }

  last(n: number): KeptLine[] {
    return this.decoded?.slice(-n) ?? this.decode(Math.max(0, this.kept.length - n));
  }

  private decode(from: number): KeptLine[] {
    let j = 0;
    for (let i = 0; i < from; i++) if (this.kept[i]!.text === PLACEHOLDER) j++;
    const out: KeptLine[] = [];
    for (let i = from; i < this.kept.length; i++) {
      const l = this.kept[i]!;
      out.push(l.text !== PLACEHOLDER ? l : { n: l.n, text: cleanLine(utf8(this.bytes, this.offsets[j]!, this.offsets[++j]!)), strength: 0 });
    }
    return out;
  }
}

const PLACEHOLDER = "\u0000skipped";

// Buffer#toString validates its arguments on every call, which costs more than decoding a short line.
const utf8 = (b: Buffer, start: number, end: number) => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);

/** For the line router: lines it skipped are kept as byte ranges of the region they lie in, decoded on demand. */
export class ByteLineRing implements RecentLines {
  private readonly lines = new Array<KeptLine | undefined>(RING);
  private readonly bufs = new Array<Buffer | undefined>(RING);
  private readonly starts = new Int32Array(RING);
  private readonly ends = new Int32Array(RING);
  /** Lines recorded; line n (1-based) is in slot (n - 1) & MASK. */
  count = 0;

  /** A line the router skipped: bytes [start, end) of `buf`, not yet decoded. */
  skip(buf: Buffer, start: number, end: number): void {
    const slot = this.count++ & MASK;
    this.bufs[slot] = buf;
    this.starts[slot] = start;
    this.ends[slot] = end;
  }

  add(line: KeptLine): void {
    const slot = this.count++ & MASK;
    this.lines[slot] = line;
    this.bufs[slot] = undefined;
  }

  last(k: number): KeptLine[] {
    const from = Math.max(0, this.count - Math.min(k, RING));
    const out: KeptLine[] = [];
    for (let i = from; i < this.count; i++) out.push(this.resolve(i));
    return out;
  }

  snapshot(k: number, from: number): TailSnapshot {
    const first = Math.max(0, this.count - Math.min(k, RING), from - 1);
    let bytes = 0;
    let skipped = 0;
    for (let i = first; i < this.count; i++) {
      const slot = i & MASK;
      if (this.bufs[slot] !== undefined) {
        bytes += this.ends[slot]! - this.starts[slot]!;
        skipped++;
      }
    }
    if (skipped === 0) return new EagerSnapshot(this.last(this.count - first));
    const copy = Buffer.allocUnsafe(bytes);
    const offsets = new Int32Array(skipped + 1);
    const kept: KeptLine[] = [];
    let at = 0;
    let j = 0;
    for (let i = first; i < this.count; i++) {
      const slot = i & MASK;
      const buf = this.bufs[slot];
      if (buf === undefined) {
        const l = this.lines[slot]!;
        kept.push({ ...l, text: detach(l.text) });
      } else {
        offsets[j++] = at;
        at += buf.copy(copy, at, this.starts[slot]!, this.ends[slot]!);
        kept.push({ n: i + 1, text: PLACEHOLDER, strength: 0 });
      }
    }
    offsets[j] = at;
    return new ByteSnapshot(kept, copy, offsets);
  }

  /** Decodes the lines that still point into `buf`'s memory, which its owner is about to overwrite. */
  retire(buf: Buffer): void {
    // By memory, not by object: the lines point into regions, which are views of the reader's buffers.
    for (let i = Math.max(0, this.count - RING); i < this.count; i++) if (this.bufs[i & MASK]?.buffer === buf.buffer) this.resolve(i);
  }

  private resolve(i: number): KeptLine {
    const slot = i & MASK;
    const buf = this.bufs[slot];
    if (buf === undefined) {
      const l = this.lines[slot]!;
      return { ...l, text: detach(l.text) };
    }
    // A fresh string: utf8Slice copies, so nothing larger is kept alive.
    const line: KeptLine = { n: i + 1, text: cleanLine(utf8(buf, this.starts[slot]!, this.ends[slot]!)), strength: 0 };
    this.lines[slot] = line;
    this.bufs[slot] = undefined;
    return { ...line };
  }
}
