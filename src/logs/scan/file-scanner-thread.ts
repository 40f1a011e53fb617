// The scanner thread: reads the regions analyzeLog's thread assigns to the shared memory's slots (oldest first: it
// cuts them in order), and scans the regions it has cut (SIMD literal scan and line kinds, SimdScanner#linesAt) where
// they lie, newest first: analyzeLog's thread routes the oldest, and reads or scans a region itself when this thread
// has not got to it, so neither waits for the other while there is work.

import fs from "node:fs";
import { workerData } from "node:worker_threads";
import { MAX_LINE_CHARS } from "../limits.js";
import { SimdScanner } from "./simd-scanner.js";
import {
  Control,
  Field,
  State,
  READ_AT,
  REGION_BYTES,
  SLOTS,
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
  Atomics.store(control, Control.NO_READS, 1);
}

/** The slot in `state` whose region is the oldest (or, with `newest`, the newest), or -1. */
function pick(state: number, newest: boolean): number {
  let best = -1;
  let index = newest ? -1 : Infinity;
  for (let s = 0; s < SLOTS; s++) {
    if (Atomics.load(control, word(s, Field.STATE)) !== state) continue;
    const i = Atomics.load(control, word(s, Field.INDEX));
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
    const n = fs.readSync(fd!, data, 0, REGION_BYTES, Atomics.load(control, word(slot, Field.INDEX)) * REGION_BYTES);
    Atomics.store(control, word(slot, Field.BYTES), n);
    Atomics.store(control, word(slot, Field.STATE), State.FILLED);
  } catch {
    // analyzeLog's thread reads it again, and reports the error.
    Atomics.store(control, Control.NO_READS, 1);
    Atomics.store(control, word(slot, Field.STATE), State.ASSIGNED);
  }
  Atomics.notify(control, word(slot, Field.STATE));
}

function scan(slot: number): void {
  const lines = scanner.linesAt(Atomics.load(control, word(slot, Field.FROM)), Atomics.load(control, word(slot, Field.LENGTH)), endsAt(slot), codesAt(slot));
  Atomics.store(control, word(slot, Field.LINES), lines);
  Atomics.store(control, word(slot, Field.STATE), State.SCANNED);
  Atomics.notify(control, word(slot, Field.STATE));
}

for (;;) {
  const version = Atomics.load(control, Control.VERSION);
  if (Atomics.load(control, Control.STOP) !== 0) break;
  const toRead = Atomics.load(control, Control.NO_READS) === 0 ? pick(State.ASSIGNED, false) : -1;
  if (toRead >= 0) {
    if (Atomics.compareExchange(control, word(toRead, Field.STATE), State.ASSIGNED, State.READING) === State.ASSIGNED) read(toRead);
    continue;
  }
  const toScan = pick(State.READ, false);
  if (toScan >= 0) {
    if (Atomics.compareExchange(control, word(toScan, Field.STATE), State.READ, State.SCANNING) === State.READ) scan(toScan);
    continue;
  }
  // VERSION was read before the slots were looked at: a change since makes the wait return at once.
  Atomics.store(control, Control.SLEEPING, 1);
  Atomics.wait(control, Control.VERSION, version);
  Atomics.store(control, Control.SLEEPING, 0);
}
if (fd !== undefined) fs.closeSync(fd);
