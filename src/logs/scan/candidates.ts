// What a scan of a region of log bytes tells the line router, whichever scanner made it (candidate-scanner.ts).

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
  readonly kind: "simd" | "simd-scan" | "regex";
  /** Where a literal may start in `buf` (false positives allowed, no misses), and its newlines. Valid until the next call. */
  scan(buf: Uint8Array): Candidates;
  /** The lines of `buf` and their kinds (classifyLines); valid until the next call. */
  lines(buf: Uint8Array): ScannedLines;
}
