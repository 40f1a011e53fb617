// The file scanner thread: reads a log file into shared regions, finds its newlines and literal candidates and
// classifies its lines (line-shape.ts), one region ahead of analyzeLog's thread, which only routes the lines.

import fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { MAX_LINE_CHARS } from "../clean.js";
import { classifyLines } from "../line-shape.js";
import { looksBinary } from "../reader.js";
import { createCandidateScanner } from "./candidate-scanner.js";
import { REGION_BYTES, type ScannerData, type ToReader, type ToScanner } from "./file-scanner-protocol.js";

const MAX_PENDING = 4 * MAX_LINE_CHARS;
const SNIFF_BYTES = 8192;

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
  const fd = fs.openSync(file, "r");
  try {
    const carry = Buffer.allocUnsafe(MAX_PENDING);
    let carried = 0;
    let longHead: Buffer | undefined;
    let longDropped = 0;
    for (let first = true; ; first = false) {
      const slot = await takeSlot();
      const { data, ends, codes } = slots[slot]!;
      const buf = Buffer.from(data);
      carry.copy(buf, 0, 0, carried);
      const bytesRead = fs.readSync(fd, buf, carried, REGION_BYTES, null);
      const total = carried + bytesRead;
      if (first && looksBinary(buf.subarray(0, Math.min(total, SNIFF_BYTES)))) return send({ kind: "binary" });
      let from = 0;
      let to = total;
      if (bytesRead === 0) {
        if (longHead !== undefined) send({ kind: "overlong", head: longHead, dropped: longDropped });
        else if (total > 0) {
          // The last line has no newline: one is added, as readLogRegions does (the slot has room for it).
          buf[total] = 10;
          to = total + 1;
        }
        if (to > from && longHead === undefined) region(slot, buf, from, to, ends, codes);
        return send({ kind: "done" });
      }
      if (longHead !== undefined) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= total) {
          longDropped += total;
          carried = 0;
          free.unshift(slot);
          continue;
        }
        send({ kind: "overlong", head: longHead, dropped: longDropped + nl });
        longHead = undefined;
        longDropped = 0;
        from = nl + 1;
      }
      const last = buf.lastIndexOf(10, total - 1);
      to = Math.max(last + 1, from);
      const rest = total - to;
      if (rest > MAX_PENDING) {
        longHead = Buffer.from(buf.subarray(to, to + MAX_PENDING));
        longDropped = rest - MAX_PENDING;
        carried = 0;
      } else {
        buf.copy(carry, 0, to, total);
        carried = rest;
      }
      if (to > from) region(slot, buf, from, to, ends, codes);
      else free.unshift(slot);
    }
  } finally {
    fs.closeSync(fd);
  }

  function region(slot: number, buf: Buffer, from: number, to: number, ends: SharedArrayBuffer, codes: SharedArrayBuffer): void {
    const b = buf.subarray(from, to);
    const lines = classifyLines(b, scanner.scan(b), new Int32Array(ends), new Uint8Array(codes));
    send({ kind: "region", slot, from, length: to - from, lines });
  }
}

main().catch((error: unknown) => {
  const e = error as NodeJS.ErrnoException;
  send({ kind: "failed", message: e?.message ?? String(error), ...(e?.code ? { code: e.code } : {}) });
});
