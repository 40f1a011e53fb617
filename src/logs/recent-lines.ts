// The latest lines of a log, for a step's tail and the context before an anchor. Most of them are never looked at:
// the byte ring keeps only where a run of skipped lines lies and decodes them when asked, so a run of quiet lines
// costs a few stores, whatever its length.

import type { AnchorStrength } from "./anchors.js";
import { cleanLineBytes } from "./clean.js";

/** A line the collector keeps, with how strongly it marks a failure. */
export interface KeptLine {
  /** 1-based line number in the log. */
  n: number;
  text: string;
  strength: AnchorStrength;
}

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
  /** It will not be read again: its bytes' memory may be reused (reading it afterwards throws). */
  release(): void;
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
  release(): void {}
}

/**
 * A copy of the string that does not keep its source alive. Lines are slices of 64 KB–1 MB decoded chunks; V8 keeps
 * the whole chunk in memory while a slice of it lives, so anything stored beyond the current chunk is copied.
 */
export function detach(s: string): string {
  return ` ${s}`.slice(1);
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

/** Part of a tail: lines the collector handled, or skipped lines as one copy of their bytes, `\n` between them. */
type Part = { kept: KeptLine[] } | { bytes: Buffer; lines: number; last: number; block: ArenaBlock | undefined };

/** A tail with skipped lines kept as bytes (a memcpy, where decoding would cost about a microsecond a line). */
class ByteSnapshot implements TailSnapshot {
  private decoded: KeptLine[] | undefined;
  private released = false;
  constructor(
    /** Oldest first. */
    private readonly parts: Part[],
    readonly length: number,
    private readonly arena: CopyArena,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const part of this.parts) if ("block" in part && part.block) this.arena.release(part.block);
  }

  lines(): KeptLine[] {
    this.decoded ??= this.decodeLast(this.length);
    return this.decoded;
  }

  last(n: number): KeptLine[] {
    return this.decoded?.slice(-n) ?? this.decodeLast(Math.min(n, this.length));
  }

  private decodeLast(n: number): KeptLine[] {
    // Its bytes may hold another tail by now.
    if (this.released) throw new Error("a released tail was read");
    const out: KeptLine[] = [];
    for (let i = this.parts.length - 1; i >= 0 && out.length < n; i--) {
      const part = this.parts[i]!;
      if ("kept" in part) for (let j = part.kept.length - 1; j >= 0 && out.length < n; j--) out.push(part.kept[j]!);
      else decodeBack(part.bytes, 0, part.bytes.length, part.lines, part.last, n - out.length, out);
    }
    return out.reverse();
  }
}

/**
 * Pushes, newest first, up to `max` of the last lines of bytes [start, end) of `buf`, which holds `lines` lines separated
 * by `\n`, the last of them line number `last`.
 */
function decodeBack(
  buf: Buffer,
  start: number,
  end: number,
  lines: number,
  last: number,
  max: number,
  out: KeptLine[],
): void {
  let e = end;
  for (let k = 0; k < lines && k < max; k++) {
    const s = k === lines - 1 ? start : buf.lastIndexOf(10, e - 1) + 1;
    out.push({ n: last - k, text: cleanLineBytes(buf, s, e), strength: 0 });
    e = s - 1;
  }
}

/** Where the last `k` (≥ 1) of the `lines` lines in bytes [start, end) of `buf` start. */
function startOfLast(buf: Buffer, start: number, end: number, lines: number, k: number): number {
  if (k >= lines) return start;
  let s = end;
  for (let i = 0; i < k; i++) s = buf.lastIndexOf(10, s - 1);
  return s + 1;
}

/**
 * Whether two views share bytes. By memory, not by object: lines point into regions, which are views of a reader's
 * buffers (and the file reader's regions all lie in one shared memory).
 */
function overlaps(a: Buffer, b: Buffer): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

/** A block of a CopyArena, and how many of the copies cut from it may still be read. */
interface ArenaBlock {
  readonly bytes: Buffer;
  live: number;
}

/**
 * Copies of byte ranges, cut from 256 KB blocks: a step's tail is copied when the step closes, hundreds of times in a
 * long log, and one allocation each cost more than the copying. A block all of whose copies were released is cut
 * again: fresh memory costs a page fault per 4 KB, and on the 2-core VMs measured (2026-12) copying into new blocks
 * took over ten times as long as into reused ones (31 MB: 97 ms against 7 ms). A copy never released keeps its block
 * to the garbage collector, as every block was before.
 */
class CopyArena {
  private block: ArenaBlock = { bytes: Buffer.alloc(0), live: 0 };
  private used = 0;
  /** Blocks whose copies were all released, besides the current one. */
  private readonly spare: ArenaBlock[] = [];

  /** A copy of `from[start, end)`, and the block to release once it will not be read again (none for a big one). */
  copy(from: Buffer, start: number, end: number): { bytes: Buffer; block: ArenaBlock | undefined } {
    const n = end - start;
    if (n > ARENA_BLOCK / 4) {
      const own = Buffer.allocUnsafe(n);
      from.copy(own, 0, start, end);
      return { bytes: own, block: undefined };
    }
    if (this.used + n > this.block.bytes.length) {
      // The current block is cut again from its start if nothing cut from it is read any more.
      if (this.block.live > 0 || this.block.bytes.length < ARENA_BLOCK)
        this.block = this.spare.pop() ?? { bytes: Buffer.allocUnsafe(ARENA_BLOCK), live: 0 };
      this.used = 0;
    }
    const block = this.block;
    // Buffer#copy is a memcpy; Buffer.from(view) copies byte by byte.
    from.copy(block.bytes, this.used, start, end);
    const bytes = block.bytes.subarray(this.used, this.used + n);
    this.used += n;
    block.live++;
    return { bytes, block };
  }

  /** One copy cut from `block` will not be read again. */
  release(block: ArenaBlock): void {
    if (--block.live === 0 && block !== this.block && this.spare.length < SPARE_BLOCKS) this.spare.push(block);
  }
}

const ARENA_BLOCK = 256 * 1024;
/** Released blocks kept for reuse: the tails a collector holds at once fit in a few (see MAX_DETAILED_SEGMENTS). */
const SPARE_BLOCKS = 4;

/** Entries a ring may hold: each holds at least one line, and the oldest goes once the others hold RING lines. */
const ENTRIES = 2 * RING;

/**
 * For the line router: runs of lines it skipped are kept as one byte range of the region they lie in, and decoded only
 * when the collector asks for them, so a run of quiet lines costs a few stores whatever its length. The lines the
 * collector handled are strings of their own (the router decodes line by line): nothing to detach.
 */
export class ByteLineRing implements RecentLines {
  /** Per entry, oldest at `head`: lines the collector handled, or a run of skipped lines [starts, ends) of bufs. */
  private readonly kept = new Array<KeptLine[] | undefined>(ENTRIES);
  private readonly bufs = new Array<Buffer | undefined>(ENTRIES);
  private readonly starts = new Int32Array(ENTRIES);
  private readonly ends = new Int32Array(ENTRIES);
  private readonly sizes = new Int32Array(ENTRIES);
  private head = 0;
  private next = 0;
  /** Lines the entries hold. */
  private held = 0;
  /** Lines recorded. */
  count = 0;
  private readonly arena = new CopyArena();

  /** `lines` lines the router skipped: bytes [start, end) of `buf`, `\n` between them, not yet decoded. */
  skipRun(buf: Buffer, start: number, end: number, lines: number): void {
    this.count += lines;
    this.held += lines;
    const prev = (this.next - 1) & (ENTRIES - 1);
    if (this.next > this.head && this.bufs[prev] === buf && this.ends[prev]! + 1 === start) {
      this.ends[prev] = end;
      this.sizes[prev]! += lines;
    } else {
      const slot = this.next++ & (ENTRIES - 1);
      this.bufs[slot] = buf;
      this.kept[slot] = undefined;
      this.starts[slot] = start;
      this.ends[slot] = end;
      this.sizes[slot] = lines;
    }
    this.trim();
  }

  add(line: KeptLine): void {
    this.count++;
    this.held++;
    const slot = this.next++ & (ENTRIES - 1);
    this.bufs[slot] = undefined;
    this.kept[slot] = [line];
    this.sizes[slot] = 1;
    this.trim();
  }

  /** Drops the oldest entries while the others hold RING lines. */
  private trim(): void {
    for (;;) {
      const slot = this.head & (ENTRIES - 1);
      if (this.held - this.sizes[slot]! < RING) return;
      this.held -= this.sizes[slot]!;
      this.bufs[slot] = undefined;
      this.kept[slot] = undefined;
      this.head++;
    }
  }

  last(k: number): KeptLine[] {
    const want = Math.min(k, RING, this.count);
    const out: KeptLine[] = [];
    let n = this.count;
    for (let i = this.next - 1; i >= this.head && out.length < want; i--) {
      const slot = i & (ENTRIES - 1);
      const size = this.sizes[slot]!;
      const buf = this.bufs[slot];
      if (buf === undefined) {
        const kept = this.kept[slot]!;
        for (let j = kept.length - 1; j >= 0 && out.length < want; j--) out.push({ ...kept[j]! });
      } else decodeBack(buf, this.starts[slot]!, this.ends[slot]!, size, n, want - out.length, out);
      n -= size;
    }
    return out.reverse();
  }

  snapshot(k: number, from: number): TailSnapshot {
    // Lines first + 1 … count.
    const first = Math.max(0, this.count - Math.min(k, RING), from - 1);
    const parts: Part[] = [];
    let bytes = false;
    let n = this.count;
    for (let i = this.next - 1; i >= this.head && n > first; i--) {
      const slot = i & (ENTRIES - 1);
      const size = this.sizes[slot]!;
      const take = Math.min(size, n - first);
      const buf = this.bufs[slot];
      if (buf === undefined) {
        const kept = this.kept[slot]!;
        parts.push({ kept: kept.slice(kept.length - take).map((l) => ({ ...l })) });
      } else {
        const end = this.ends[slot]!;
        const start = startOfLast(buf, this.starts[slot]!, end, size, take);
        const { bytes: copy, block } = this.arena.copy(buf, start, end);
        parts.push({ bytes: copy, lines: take, last: n, block });
        bytes = true;
      }
      n -= size;
    }
    parts.reverse();
    if (!bytes) return new EagerSnapshot(parts.flatMap((p) => ("kept" in p ? p.kept : [])));
    return new ByteSnapshot(parts, this.count - first, this.arena);
  }

  /** Copies out the lines that still point into `buf`'s memory, which its owner is about to overwrite. */
  retire(buf: Buffer): void {
    let n = this.count;
    for (let i = this.next - 1; i >= this.head; i--) {
      const slot = i & (ENTRIES - 1);
      const size = this.sizes[slot]!;
      const held = this.bufs[slot];
      if (held !== undefined && overlaps(held, buf)) {
        // Only the lines last() or snapshot() can still ask for, as bytes (a memcpy; decoding is for when they are).
        const keep = Math.min(size, Math.max(1, n - (this.count - RING)));
        const end = this.ends[slot]!;
        const start = startOfLast(held, this.starts[slot]!, end, size, keep);
        // Never released: the ring drops its entries without knowing whether a snapshot shares them.
        const copy = this.arena.copy(held, start, end).bytes;
        this.bufs[slot] = copy;
        this.starts[slot] = 0;
        this.ends[slot] = copy.length;
        this.sizes[slot] = keep;
        this.held -= size - keep;
      }
      n -= size;
    }
  }
}
