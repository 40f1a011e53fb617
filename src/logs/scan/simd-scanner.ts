// The SIMD line scanner: teddy.wat on a WebAssembly memory. The memory's tables, the module and the fallback are in
// candidate-scanner.ts.

import type { CandidateScanner, Candidates, ScannedLines } from "./candidates.js";
import { classifyLines } from "./line-shape.js";

/** Where regions and outputs may start in a scan memory: its tables come first. */
export const SCAN_MEMORY_START = 512;
/** teddy.wat reads up to 18 bytes past a region; `\n` folds to `*`, which starts no literal (and its newlines there are ignored). */
const SCAN_PAD = 20;
const PAD_BYTE = 0x0a;
const PAGE = 65_536;

/** Scratch bytes a scan of `len` bytes needs: room for a candidate, a newline and a carriage return (i32) per byte. */
function scratchBytes(len: number): number {
  return 12 * (len + 32);
}

// The little of the WebAssembly API used here (@types/node does not declare the global).
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
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
  Memory: new (d: { initial: number }) => WasmMemory;
}

export const wasmApi = () => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * teddy.wat on a memory: copies each region in after the tables and scans it there. Line kinds come from teddy.wat's
 * `classify`, or with `lineKinds: "js"` from line-shape.ts's classifyLines (its twin; for the benchmark and the tests).
 */
export class SimdScanner implements CandidateScanner {
  readonly kind: "simd" | "simd-scan";
  private readonly exports: TeddyExports;
  private readonly result: Candidates = {
    positions: new Int32Array(0),
    count: 0,
    newlines: new Int32Array(0),
    newlineCount: 0,
    base: 0,
  };
  private readonly scanned: ScannedLines = { ends: new Int32Array(0), codes: new Uint8Array(0), count: 0 };

  /** `memory` holds the tables (candidate-scanner.ts createScanMemory); lines longer than `maxLine` are always looked at. */
  constructor(
    module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly maxLine: number,
    lineKinds: "wasm" | "js" = "wasm",
  ) {
    this.exports = new (wasmApi()!.Instance)(module, { env: { memory } }).exports as TeddyExports;
    this.kind = lineKinds === "wasm" ? "simd" : "simd-scan";
  }

  /** The memory's bytes, grown to at least `need` (growing detaches the views made before). */
  private bytes(need: number): Uint8Array {
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    return new Uint8Array(this.memory.buffer);
  }

  /** Copies `buf` in after the tables, with room for the scan's outputs behind it. */
  private copyIn(buf: Uint8Array): number {
    const at = SCAN_MEMORY_START;
    const bytes = this.bytes(at + buf.length + SCAN_PAD + 16 + scratchBytes(buf.length) + buf.length + 16);
    bytes.set(buf, at);
    bytes.fill(PAD_BYTE, at + buf.length, at + buf.length + SCAN_PAD);
    return at;
  }

  private scanAt(at: number, len: number, out: number): Candidates {
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
    if (this.kind === "simd-scan") return classifyInJs(buf, this.scan(buf), this.scanned);
    const at = this.copyIn(buf);
    const out = align(at + buf.length + SCAN_PAD);
    const codes = out + scratchBytes(buf.length);
    // The ends overwrite the newline list, each after its newline was read.
    const ends = out + 4 * (buf.length + 16);
    const c = this.scanAt(at, buf.length, out);
    const n = this.exports.classify(
      at,
      buf.length,
      c.newlines.byteOffset,
      c.newlineCount,
      out,
      c.count,
      c.newlines.byteOffset + 4 * (buf.length + 16),
      this.exports.crs.value,
      codes,
      ends,
      this.maxLine,
    );
    const r = this.scanned;
    r.ends = new Int32Array(this.memory.buffer, ends, n);
    r.codes = new Uint8Array(this.memory.buffer, codes, n);
    r.count = n;
    return r;
  }
}

/** classifyLines over a scan, into `out`'s arrays (grown as needed). */
export function classifyInJs(buf: Uint8Array, c: Candidates, out: ScannedLines): ScannedLines {
  if (out.ends.length < c.newlineCount + 1) {
    out.ends = new Int32Array(c.newlineCount * 2 + 1);
    out.codes = new Uint8Array(c.newlineCount * 2 + 1);
  }
  out.count = classifyLines(buf, c, out.ends, out.codes);
  return out;
}

const align = (n: number) => (n + 15) & ~15;
