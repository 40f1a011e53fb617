// What the file scanner thread and analyzeLog say to each other (see file-scanner.ts).

/** Bytes read at a time: one region. */
export const REGION_BYTES = 1024 * 1024;
/** Regions in flight: two held by the reader (tails may point into them), two being filled. */
export const SLOTS = 4;

export interface Slot {
  /** Region bytes, after up to MAX_PENDING bytes carried over from the previous read. */
  data: SharedArrayBuffer;
  /** classifyLines' outputs. */
  ends: SharedArrayBuffer;
  codes: SharedArrayBuffer;
}

export interface ScannerData {
  file: string;
  slots: Slot[];
}

export type ToReader =
  | { kind: "region"; slot: number; from: number; length: number; lines: number }
  | { kind: "overlong"; head: Uint8Array; dropped: number }
  | { kind: "binary" }
  | { kind: "failed"; message: string; code?: string }
  | { kind: "done" };

export interface ToScanner {
  release: number;
}
