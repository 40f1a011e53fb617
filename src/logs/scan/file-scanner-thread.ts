// The file scanner thread: reads a log file into shared regions, finds its newlines and literal candidates and
// classifies its lines (line-shape.ts), one region ahead of analyzeLog's thread, which only routes the lines.

import fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { FileLineCutter } from "../byte-reader.js";
import { classifyLines } from "../line-shape.js";
import { looksBinary, MAX_PENDING, SNIFF_BYTES } from "../reader.js";
import { createCandidateScanner } from "./candidate-scanner.js";
import { REGION_BYTES, type ScannerData, type ToReader, type ToScanner } from "./file-scanner-protocol.js";

const port = parentPort!;
const { file, slots } = workerData as ScannerData;
const free: number[] = slots.map((_, i) => i);
let wake: (() => void) | undefined;
port.on("message", (m: ToScanner) => {
  free.push(m.release);
  wake?.();
});

async function takeSlot(): Promise<number> {
  while (free.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  return free.shift()!;
}

const send = (m: ToReader) => port.postMessage(m);

async function main(): Promise<void> {
  const scanner = createCandidateScanner();
  const cutter = new FileLineCutter();
  const fd = fs.openSync(file, "r");
  try {
    // The unfinished line of a read waits here for the next free slot.
    const carry = Buffer.allocUnsafe(MAX_PENDING);
    let carried = 0;
    for (let first = true; ; first = false) {
      const slot = await takeSlot();
      const buf = Buffer.from(slots[slot]!.data);
      carry.copy(buf, 0, 0, carried);
      const bytesRead = fs.readSync(fd, buf, carried, REGION_BYTES, null);
      const total = carried + bytesRead;
      if (first && looksBinary(buf.subarray(0, Math.min(total, SNIFF_BYTES)))) return send({ kind: "binary" });
      const cut = bytesRead === 0 ? cutter.finish(buf, total) : cutter.cut(buf, total);
      carried = cut?.carry ?? 0;
      if (cut !== undefined) buf.copy(carry, 0, cut.to, cut.to + cut.carry);
      if (cut?.closedLong) send({ kind: "overlong", head: cut.closedLong.head, dropped: cut.closedLong.dropped });
      if (cut !== undefined && cut.to > cut.from) region(slot, buf.subarray(cut.from, cut.to), cut.from);
      else free.unshift(slot);
      if (bytesRead === 0) return send({ kind: "done" });
    }
  } finally {
    fs.closeSync(fd);
  }

  function region(slot: number, b: Buffer, from: number): void {
    const { ends, codes } = slots[slot]!;
    const lines = classifyLines(b, scanner.scan(b), new Int32Array(ends), new Uint8Array(codes));
    send({ kind: "region", slot, from, length: b.length, lines });
  }
}

main().catch((error: unknown) => {
  const e = error as NodeJS.ErrnoException;
  send({ kind: "failed", message: e?.message ?? String(error), ...(e?.code ? { code: e.code } : {}) });
});
