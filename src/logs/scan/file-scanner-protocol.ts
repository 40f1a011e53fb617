// What analyzeLog's thread and the scanner thread share (see file-scanner.ts): one WebAssembly memory that holds the
// regions of the log, read into it, and the scans' outputs; and one Int32Array of control words through which a
// region goes to whichever thread starts to scan it first.

import fs from "node:fs";
import { MAX_PENDING } from "../limits.js";
import {
  SCAN_MEMORY_START,
  SCAN_PAD,
  type SimdScanner,
  scratchBytes,
  type WasmMemory,
  type WasmModule,
} from "./simd-scanner.js";

/** Bytes read at a time: one region. */
export const REGION_BYTES = 1024 * 1024;
/** Regions in memory: two routed ones the line ring may still point into, the others being read or scanned. */
export const SLOTS = 8;
/** Where a slot's read goes: after room for the unfinished line of the previous region, which is copied in front of it. */
export const READ_AT = MAX_PENDING;
/** Most bytes, and so most lines, of a region: the carried line, the read, and a newline the last region may get. */
const REGION_MAX = READ_AT + REGION_BYTES + 1;

const align = (n: number) => (n + 63) & ~63;
const DATA_BYTES = align(REGION_MAX + SCAN_PAD);
const ENDS_BYTES = align(4 * REGION_MAX);
const SLOT_BYTES = DATA_BYTES + ENDS_BYTES + align(REGION_MAX);
const SLOTS_END = SCAN_MEMORY_START + SLOTS * SLOT_BYTES;

/** Where slot `s`'s bytes are in the memory. */
export function dataAt(s: number): number {
  return SCAN_MEMORY_START + s * SLOT_BYTES;
}
/** Where the scan of slot `s` writes its line ends (i32) and line kinds (bytes). */
export function endsAt(s: number): number {
  return dataAt(s) + DATA_BYTES;
}
export function codesAt(s: number): number {
  return endsAt(s) + ENDS_BYTES;
}
/** Bytes of a slot's region area. */
export const SLOT_DATA_BYTES = DATA_BYTES;
/** Scratch of the scanner of thread t (0: analyzeLog's, 1: the scanner thread). */
export function scratchAt(t: number): number {
  return SLOTS_END + t * scratchBytes(REGION_MAX);
}
export const MEMORY_BYTES = scratchAt(2);

export interface ScannerData {
  file: string;
  /** teddy.wat, compiled once, by analyzeLog's thread. */
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
}

/** The control words before the slots'. */
export const Control = {
  /** Bumped each time a slot changes state; the scanner thread sleeps on it. */
  VERSION: 0,
  /** Set when analyzeLog's thread needs no more scans. */
  STOP: 1,
  /** Set by the scanner thread when it cannot read the file: analyzeLog's thread then reads it all (and meets the error). */
  NO_READS: 2,
  /** Set by the scanner thread while it waits on VERSION: only then is a notify worth its system call. */
  SLEEPING: 3,
  /** Regions the scanner thread read, and scanned. */
  READS: 4,
  SCANS: 5,
} as const;
const HEADER = 6;

/**
 * Per slot: its state, the number of the region it holds, the bytes a read put in it, the region's bytes
 * [FROM, FROM + LENGTH) of the memory once cut, the lines a scan found.
 */
export const Field = { STATE: 0, INDEX: 1, BYTES: 2, FROM: 3, LENGTH: 4, LINES: 5 } as const;
const FIELDS = 6;

/** Control word `field` of slot `slot`. */
export function word(slot: number, field: number): number {
  return HEADER + slot * FIELDS + field;
}

export const CONTROL_WORDS = HEADER + SLOTS * FIELDS;

/**
 * Slot states, in order: analyzeLog's thread ASSIGNs a slot a region of the file to read; whichever thread swaps the
 * state first reads it (READING, or OWN_READ for analyzeLog's thread), FILLED says how many BYTES came; analyzeLog's
 * thread cuts it, in order, into whole lines (READ); whichever thread swaps the state first scans it (SCANNING, or
 * TAKEN); then analyzeLog's thread routes it and, two regions later, frees the slot.
 */
export const State = {
  FREE: 0,
  ASSIGNED: 1,
  READING: 2,
  OWN_READ: 3,
  FILLED: 4,
  READ: 5,
  SCANNING: 6,
  SCANNED: 7,
  TAKEN: 8,
} as const;

// The steps both threads take on a slot.

/** The slot in `state` that holds the oldest region after region `after`, or -1. */
export function oldestIn(control: Int32Array, state: number, after = -1): number {
  let best = -1;
  let oldest = Infinity;
  for (let s = 0; s < SLOTS; s++) {
    if (Atomics.load(control, word(s, Field.STATE)) !== state) continue;
    const i = Atomics.load(control, word(s, Field.INDEX));
    if (i > after && i < oldest) {
      best = s;
      oldest = i;
    }
  }
  return best;
}

/** Reads the slot's region of the file (Field.INDEX) into it, after room for the carried line; returns the bytes read. */
export function readRegion(fd: number, memory: WasmMemory, control: Int32Array, slot: number): number {
  const at = new Uint8Array(memory.buffer, dataAt(slot) + READ_AT, REGION_BYTES);
  return fs.readSync(fd, at, 0, REGION_BYTES, Atomics.load(control, word(slot, Field.INDEX)) * REGION_BYTES);
}

/** Scans the slot's cut region (Field.FROM, Field.LENGTH) where it lies, into the slot's outputs; returns its lines. */
export function scanRegion(scanner: SimdScanner, control: Int32Array, slot: number): number {
  const lines = scanner.linesAt(
    Atomics.load(control, word(slot, Field.FROM)),
    Atomics.load(control, word(slot, Field.LENGTH)),
    endsAt(slot),
    codesAt(slot),
  );
  Atomics.store(control, word(slot, Field.LINES), lines);
  return lines;
}
