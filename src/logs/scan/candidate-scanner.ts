// Finds, in one pass over a region of log bytes, where the words of literals.ts may start, so that the line router
// decodes and inspects only those lines. The SIMD module (teddy.wat) scans about 1 GB/s more than the regular
// expression it replaces; the regular expression stays as the fallback for runtimes without WebAssembly SIMD.

import { LEAD, LEAD_WORDS, classifyLines } from "../line-shape.js";
import { MAX_LINE_CHARS } from "../clean.js";
import { LITERALS, buildTables } from "./literals.js";
import { TEDDY_WASM_BASE64 } from "./teddy-wasm.js";

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

/** teddy.wat's memory: its literal tables at 0, line-shape.ts's LEAD table at 128 and its lead words from 384. */
const LEAD_AT = 128;
const WORDS_AT = 384;
/** Where regions and outputs may start. */
export const SCAN_MEMORY_START = 512;
/** teddy.wat reads up to 18 bytes past a region; `\n` folds to `*`, which starts no literal (and its newlines there are ignored). */
export const SCAN_PAD = 20;
const PAD_BYTE = 0x0a;
const PAGE = 65_536;
/** The memory's most pages (teddy.wat declares the same): 2 GB of address space, reserved, not used. */
const MAX_PAGES = 32_768;

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
  classify(at: number, len: number, nl: number, lines: number, cand: number, cands: number, crList: number, crCount: number, codes: number, ends: number, maxLine: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

const wasmApi = () => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;

function teddyModule(): WasmModule | null {
  if (compiled === undefined) {
    const wasm = wasmApi();
    try {
      compiled = wasm ? new wasm.Module(Buffer.from(TEDDY_WASM_BASE64, "base64")) : null;
    } catch {
      compiled = null; // no SIMD (or no shared memory) in this runtime's WebAssembly
    }
  }
  return compiled;
}

/** Whether the SIMD scanner, and shared scan memories, work here. */
export function simdAvailable(): boolean {
  return teddyModule() !== null;
}

/**
 * A memory for teddy.wat of at least `bytes` bytes, shared, so that threads can scan regions in place (file-scanner.ts);
 * its first SCAN_MEMORY_START bytes hold the scanner's tables.
 */
export function createScanMemory(bytes: number): WasmMemory {
  const pages = Math.ceil(Math.max(bytes, SCAN_MEMORY_START) / PAGE);
  const memory = new (wasmApi()!.Memory)({ initial: pages, maximum: MAX_PAGES, shared: true });
  const b = new Uint8Array(memory.buffer);
  b.set(buildTables(), 0);
  b.set(LEAD, LEAD_AT);
  // Each word: its address and length as two i16 at WORDS_AT + 4k, its bytes after the descriptors.
  const view = new DataView(memory.buffer);
  let at = WORDS_AT + 4 * LEAD_WORDS.length;
  LEAD_WORDS.forEach((w, k) => {
    const bytes = Buffer.from(w, "latin1");
    view.setInt16(WORDS_AT + 4 * k, at, true);
    view.setInt16(WORDS_AT + 4 * k + 2, bytes.length, true);
    b.set(bytes, at);
    at += bytes.length;
  });
  if (at > SCAN_MEMORY_START) throw new Error("lead words overflow into the scan memory");
  return memory;
}

/** teddy.wat on a memory: scans regions where they lie in it (linesAt), or copies them in first (scan, lines). */
export class SimdScanner implements CandidateScanner {
  readonly kind = "simd" as const;
  private readonly exports: TeddyExports;
  private readonly result: Candidates = { positions: new Int32Array(0), count: 0, newlines: new Int32Array(0), newlineCount: 0, base: 0 };
  private readonly scanned: ScannedLines = { ends: new Int32Array(0), codes: new Uint8Array(0), count: 0 };

  /** `scratch`: where this scanner's outputs go in `memory` (others may scan the same memory elsewhere). */
  constructor(
    module: WasmModule,
    private readonly memory: WasmMemory = createScanMemory(PAGE),
    private readonly scratch = SCAN_MEMORY_START,
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
    return this.exports.classify(at, len, c.newlines.byteOffset, c.newlineCount, out, c.count, crList, this.exports.crs.value, codes, ends, MAX_LINE_CHARS);
  }
}

const align = (n: number) => (n + 15) & ~15;

function escapeLatin1(literal: string): string {
  // The buffer is read as latin1, one char per byte: multi-byte symbols are matched as their UTF-8 bytes.
  return [...Buffer.from(literal, "utf8")].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
}

/** `a`, or a copy twice its size when index `i` is past its end. */
function withRoom(a: Int32Array, i: number): Int32Array {
  if (i < a.length) return a;
  const grown = new Int32Array(a.length * 2);
  grown.set(a);
  return grown;
}

class RegexScanner implements CandidateScanner {
  readonly kind = "regex" as const;
  private readonly re = new RegExp(LITERALS.map(escapeLatin1).join("|"), "gi");
  private readonly result: Candidates = { positions: new Int32Array(1024), count: 0, newlines: new Int32Array(1024), newlineCount: 0, base: 0 };

  scan(buf: Uint8Array): Candidates {
    const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1");
    const r = this.result;
    const re = this.re;
    re.lastIndex = 0;
    r.count = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      r.positions = withRoom(r.positions, r.count);
      r.positions[r.count++] = m.index;
      re.lastIndex = m.index + 1;
    }
    r.newlineCount = 0;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
      r.newlines = withRoom(r.newlines, r.newlineCount);
      r.newlines[r.newlineCount++] = i;
    }
    return r;
  }

  private scanned: ScannedLines = { ends: new Int32Array(1024), codes: new Uint8Array(1024), count: 0 };

  lines(buf: Uint8Array): ScannedLines {
    const c = this.scan(buf);
    const r = this.scanned;
    if (r.ends.length < c.newlineCount + 1) {
      r.ends = new Int32Array(c.newlineCount * 2 + 1);
      r.codes = new Uint8Array(c.newlineCount * 2 + 1);
    }
    r.count = classifyLines(buf, c, r.ends, r.codes);
    return r;
  }
}

/** A SIMD scanner on `memory` (see createScanMemory) whose outputs go to `scratch`; throws where the runtime has no WebAssembly SIMD. */
export function createSharedScanner(memory: WasmMemory, scratch: number): SimdScanner {
  const module = teddyModule();
  if (!module) throw new Error("WebAssembly SIMD is not available");
  return new SimdScanner(module, memory, scratch);
}

/** The SIMD scanner where the runtime has WebAssembly SIMD, else the regular expression; `kind` forces one. */
export function createCandidateScanner(kind?: "simd" | "regex"): CandidateScanner {
  if (kind === "regex") return new RegexScanner();
  const module = teddyModule();
  if (module) return new SimdScanner(module);
  if (kind === "simd") throw new Error("WebAssembly SIMD is not available");
  return new RegexScanner();
}
