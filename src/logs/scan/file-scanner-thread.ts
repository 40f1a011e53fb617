// The scanner thread: scans the regions analyzeLog's thread has read into the shared memory (SIMD literal scan and
// line kinds, see SimdScanner#linesAt), where they lie, newest first: analyzeLog's thread routes the oldest, and scans
// it itself when this thread has not got to it, so neither waits for the other while there are regions to scan.

import { workerData } from "node:worker_threads";
import { createSharedScanner } from "./candidate-scanner.js";
import {
  FROM,
  INDEX,
  LENGTH,
  LINES,
  READ,
  SCANNED,
  SCANNING,
  SLOTS,
  STATE,
  STOP,
  VERSION,
  codesAt,
  endsAt,
  scratchAt,
  word,
  type ScannerData,
} from "./file-scanner-protocol.js";

const { memory, control: shared } = workerData as ScannerData;
const control = new Int32Array(shared);
const scanner = createSharedScanner(memory, scratchAt(1));

/** The READ slot with the newest region, or -1. */
function newest(): number {
  let best = -1;
  let index = -1;
  for (let s = 0; s < SLOTS; s++) {
    if (Atomics.load(control, word(s, STATE)) !== READ) continue;
    const i = Atomics.load(control, word(s, INDEX));
    if (i > index) {
      best = s;
      index = i;
    }
  }
  return best;
}

for (;;) {
  const version = Atomics.load(control, VERSION);
  if (Atomics.load(control, STOP) !== 0) break;
  const slot = newest();
  if (slot < 0) {
    Atomics.wait(control, VERSION, version);
    continue;
  }
  if (Atomics.compareExchange(control, word(slot, STATE), READ, SCANNING) !== READ) continue;
  const lines = scanner.linesAt(Atomics.load(control, word(slot, FROM)), Atomics.load(control, word(slot, LENGTH)), endsAt(slot), codesAt(slot));
  Atomics.store(control, word(slot, LINES), lines);
  Atomics.store(control, word(slot, STATE), SCANNED);
  Atomics.notify(control, word(slot, STATE));
}
