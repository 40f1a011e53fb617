// The scanner thread: reads the regions analyzeLog's thread assigns to the shared memory's slots (oldest first: it
// cuts them in order), and scans the regions it has cut (SIMD literal scan and line kinds, SimdScanner#linesAt) where
// they lie, newest first: analyzeLog's thread routes the oldest, and reads or scans a region itself when this thread
// has not got to it, so neither waits for the other while there is work.

import fs from "node:fs";
import { workerData } from "node:worker_threads";
import { MAX_LINE_CHARS } from "../limits.js";
import { SimdScanner } from "./simd-scanner.js";
import {
  ASSIGNED,
  BYTES,
  FILLED,
  FROM,
  INDEX,
  LENGTH,
  LINES,
  NO_READS,
  READ,
  READING,
  READ_AT,
  REGION_BYTES,
  SCANNED,
  SCANNING,
  SLEEPING,
  SLOTS,
  STATE,
  STOP,
  VERSION,
  codesAt,
  dataAt,
  endsAt,
  scratchAt,
  word,
  type ScannerData,
} from "./file-scanner-protocol.js";

const { file, module, memory, control: shared } = workerData as ScannerData;
const control = new Int32Array(shared);
const scanner = new SimdScanner(module, memory, scratchAt(1), MAX_LINE_CHARS);
let fd: number | undefined;
try {
  fd = fs.openSync(file, "r");
} catch {
  Atomics.store(control, NO_READS, 1);
}

/** The slot in `state` whose region is the oldest (or, with `newest`, the newest), or -1. */
function pick(state: number, newest: boolean): number {
  let best = -1;
  let index = newest ? -1 : Infinity;
  for (let s = 0; s < SLOTS; s++) {
    if (Atomics.load(control, word(s, STATE)) !== state) continue;
    const i = Atomics.load(control, word(s, INDEX));
    if (newest ? i > index : i < index) {
      best = s;
      index = i;
    }
  }
  return best;
}

function read(slot: number): void {
  try {
    const data = new Uint8Array(memory.buffer, dataAt(slot) + READ_AT, REGION_BYTES);
    const n = fs.readSync(fd!, data, 0, REGION_BYTES, Atomics.load(control, word(slot, INDEX)) * REGION_BYTES);
    Atomics.store(control, word(slot, BYTES), n);
    Atomics.store(control, word(slot, STATE), FILLED);
  } catch {
    // analyzeLog's thread reads it again, and reports the error.
    Atomics.store(control, NO_READS, 1);
    Atomics.store(control, word(slot, STATE), ASSIGNED);
  }
  Atomics.notify(control, word(slot, STATE));
}

function scan(slot: number): void {
  const lines = scanner.linesAt(Atomics.load(control, word(slot, FROM)), Atomics.load(control, word(slot, LENGTH)), endsAt(slot), codesAt(slot));
  Atomics.store(control, word(slot, LINES), lines);
  Atomics.store(control, word(slot, STATE), SCANNED);
  Atomics.notify(control, word(slot, STATE));
}

for (;;) {
  const version = Atomics.load(control, VERSION);
  if (Atomics.load(control, STOP) !== 0) break;
  const toRead = Atomics.load(control, NO_READS) === 0 ? pick(ASSIGNED, false) : -1;
  if (toRead >= 0) {
    if (Atomics.compareExchange(control, word(toRead, STATE), ASSIGNED, READING) === ASSIGNED) read(toRead);
    continue;
  }
  const toScan = pick(READ, false);
  if (toScan >= 0) {
    if (Atomics.compareExchange(control, word(toScan, STATE), READ, SCANNING) === READ) scan(toScan);
    continue;
  }
  // VERSION was read before the slots were looked at: a change since makes the wait return at once.
  Atomics.store(control, SLEEPING, 1);
  Atomics.wait(control, VERSION, version);
  Atomics.store(control, SLEEPING, 0);
}
if (fd !== undefined) fs.closeSync(fd);
