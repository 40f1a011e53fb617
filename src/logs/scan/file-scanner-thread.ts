// The scanner thread: reads the regions analyzeLog's thread assigns to the shared memory's slots, and scans the
// regions that thread has cut (SIMD literal scan and line kinds, SimdScanner#linesAt) where they lie, oldest first, as
// that thread routes them. That thread reads or scans a region itself when this one has not got to it, and scans the
// next one while this one scans the region it waits for, so neither waits for the other while there is work.

import fs from "node:fs";
import { workerData } from "node:worker_threads";
import { MAX_LINE_CHARS } from "../limits.js";
import {
  Control,
  Field,
  oldestIn,
  readRegion,
  type ScannerData,
  State,
  scanRegion,
  scratchAt,
  word,
} from "./file-scanner-protocol.js";
import { SimdScanner } from "./simd-scanner.js";

const { file, module, memory, control: shared } = workerData as ScannerData;
const control = new Int32Array(shared);
const scanner = new SimdScanner(module, memory, scratchAt(1), MAX_LINE_CHARS);
let fd: number | undefined;
try {
  fd = fs.openSync(file, "r");
} catch {
  Atomics.store(control, Control.NO_READS, 1);
}

function read(slot: number): void {
  try {
    Atomics.store(control, word(slot, Field.BYTES), readRegion(fd!, memory, control, slot));
    Atomics.add(control, Control.READS, 1);
    Atomics.store(control, word(slot, Field.STATE), State.FILLED);
  } catch {
    // analyzeLog's thread reads it again, and reports the error.
    Atomics.store(control, Control.NO_READS, 1);
    Atomics.store(control, word(slot, Field.STATE), State.ASSIGNED);
  }
  Atomics.notify(control, word(slot, Field.STATE));
}

function scan(slot: number): void {
  scanRegion(scanner, control, slot);
  Atomics.add(control, Control.SCANS, 1);
  Atomics.store(control, word(slot, Field.STATE), State.SCANNED);
  Atomics.notify(control, word(slot, Field.STATE));
}

for (;;) {
  const version = Atomics.load(control, Control.VERSION);
  if (Atomics.load(control, Control.STOP) !== 0) break;
  const toRead = Atomics.load(control, Control.NO_READS) === 0 ? oldestIn(control, State.ASSIGNED) : -1;
  if (toRead >= 0) {
    if (Atomics.compareExchange(control, word(toRead, Field.STATE), State.ASSIGNED, State.READING) === State.ASSIGNED)
      read(toRead);
    continue;
  }
  const toScan = oldestIn(control, State.READ);
  if (toScan >= 0) {
    if (Atomics.compareExchange(control, word(toScan, Field.STATE), State.READ, State.SCANNING) === State.READ)
      scan(toScan);
    continue;
  }
  // VERSION was read before the slots were looked at: a change since makes the wait return at once.
  Atomics.store(control, Control.SLEEPING, 1);
  Atomics.wait(control, Control.VERSION, version);
  Atomics.store(control, Control.SLEEPING, 0);
}
if (fd !== undefined) fs.closeSync(fd);
