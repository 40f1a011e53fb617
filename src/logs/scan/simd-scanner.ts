// The SIMD line scanner on a WebAssembly memory (teddy.wat), with nothing else: the scanner thread
// (file-scanner-thread.ts) loads only this, so that it starts sooner. The memory's tables, the module and the fallback
// are in candidate-scanner.ts.

export interface Candidates {
  /** Ascending; `positions[i] - base` is a byte offset into the scanned buffer. Only the first `count` are valid. */
  positions: Int32Array;
  count: number;
  /** Where the `\n` bytes are, likewise (the last ones may lie past the buffer's end: ignore those). */
  newlines: Int32Array;
  newlineCount: number;
  base: number;
}

/** A region's lines as line-shape.ts's classifyLines sees them: line i ends at ends[i] and is of kind codes[i]. */
export interface ScannedLines {
  ends: Int32Array;
  codes: Uint8Array;
  count: number;
}

export interface CandidateScanner {
  readonly kind: "simd" | "regex";
  /** Where a literal may start in `buf` (false positives allowed, no misses), and its newlines. Valid until the next call. */
  scan(buf: Uint8Array): Candidates;
  /** The lines of `buf` and their kinds (classifyLines); valid until the next call. */
  lines(buf: Uint8Array): ScannedLines;
}

/** Where regions and outputs may start in a scan memory: its tables come first. */
export const SCAN_MEMORY_START = 512;
/** teddy.wat reads up to 18 bytes past a region; `\n` folds to `*`, which starts no literal (and its newlines there are ignored). */
export const SCAN_PAD = 20;
const PAD_BYTE = 0x0a;
export const PAGE = 65_536;

/** Scratch bytes a scan of `len` bytes needs: room for a candidate, a newline and a carriage return (i32) per byte. */
export function scratchBytes(len: number): number {
  return 12 * (len + 32);
}

// The little of the WebAssembly API used here (@types/node does not declare the global).
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
interface TeddyExports {
  newlines: { value: number };
  crs: { value: number };
  scan(p: number, end: number, out: number, nl: number, cr: number): number;
  classify(
    at: number,
    len: number,
    nl: number,
    lines: number,
    cand: number,
    cands: number,
    crList: number,
    crCount: number,
    codes: number,
    ends: number,
    maxLine: number,
  ): number;
}
export type WasmModule = object;
export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

export const wasmApi = () => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** teddy.wat on a memory: scans regions where they lie in it (linesAt), or copies them in first (scan, lines). */
export class SimdScanner implements CandidateScanner {
  readonly kind = "simd" as const;
  private readonly exports: TeddyExports;
  private readonly result: Candidates = {
    positions: new Int32Array(0),
    count: 0,
    newlines: new Int32Array(0),
    newlineCount: 0,
    base: 0,
  };
  private readonly scanned: ScannedLines = { ends: new Int32Array(0), codes: new Uint8Array(0), count: 0 };

  /**
   * `memory` holds the tables (candidate-scanner.ts createScanMemory); `scratch` is where this scanner's outputs go in
   * it (others may scan the same memory elsewhere); lines longer than `maxLine` are always looked at.
   */
  constructor(
    module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly scratch: number,
    private readonly maxLine: number,
  ) {
    this.exports = new (wasmApi()!.Instance)(module, { env: { memory } }).exports as TeddyExports;
  }

  /** The memory's current bytes (a shared memory's buffer grows in place, but each view keeps its length). */
  private bytes(need: number): Uint8Array {
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    return new Uint8Array(this.memory.buffer);
  }

  /** Copies `buf` in front of this scanner's scratch and scans it there; returns where it was put. */
  private copyIn(buf: Uint8Array): number {
    const at = this.scratch;
    const bytes = this.bytes(at + buf.length + SCAN_PAD + 16 + scratchBytes(buf.length) + buf.length + 16);
    bytes.set(buf, at);
    return at;
  }

  private scanAt(at: number, len: number, out: number): Candidates {
    const b = this.bytes(0);
    b.fill(PAD_BYTE, at + len, at + len + SCAN_PAD);
    const nl = out + 4 * (len + 16);
    const count = this.exports.scan(at, at + len, out, nl, nl + 4 * (len + 16));
    const r = this.result;
    r.positions = new Int32Array(this.memory.buffer, out, count);
    r.count = count;
    r.newlineCount = this.exports.newlines.value;
    r.newlines = new Int32Array(this.memory.buffer, nl, r.newlineCount);
    r.base = at;
    return r;
  }

  scan(buf: Uint8Array): Candidates {
    const at = this.copyIn(buf);
    return this.scanAt(at, buf.length, align(at + buf.length + SCAN_PAD));
  }

  lines(buf: Uint8Array): ScannedLines {
    const at = this.copyIn(buf);
    const out = align(at + buf.length + SCAN_PAD);
    const codes = out + scratchBytes(buf.length);
    // Ends over the newline list.
    const n = this.classify(at, buf.length, out, codes, out + 4 * (buf.length + 16));
    const r = this.scanned;
    r.ends = new Int32Array(this.memory.buffer, out + 4 * (buf.length + 16), n);
    r.codes = new Uint8Array(this.memory.buffer, codes, n);
    r.count = n;
    return r;
  }

  /**
   * The lines of the `len` bytes at `at` in the memory, scanned where they lie: overwrites the SCAN_PAD bytes after
   * them, writes line i's end (an offset from `at`) to the i32 at ends + 4i and its kind to the byte at codes + i.
   * Returns the number of lines.
   */
  linesAt(at: number, len: number, ends: number, codes: number): number {
    this.bytes(this.scratch + scratchBytes(len));
    return this.classify(at, len, this.scratch, codes, ends);
  }

  private classify(at: number, len: number, out: number, codes: number, ends: number): number {
    const c = this.scanAt(at, len, out);
    const crList = c.newlines.byteOffset + 4 * (len + 16);
    return this.exports.classify(
      at,
      len,
      c.newlines.byteOffset,
      c.newlineCount,
      out,
      c.count,
      crList,
      this.exports.crs.value,
      codes,
      ends,
      this.maxLine,
    );
  }
}

const align = (n: number) => (n + 15) & ~15;
