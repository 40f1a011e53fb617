// Reads a log file with a second thread (file-scanner-thread.ts) doing the byte work — reading, the SIMD scan, line
// classification — while this thread routes the lines: on two cores a log is read about twice as fast. Regions live
// in shared memory, so nothing is copied between the threads.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { MAX_PENDING } from "../reader.js";
import { BinaryLogError } from "../errors.js";
import { REGION_BYTES, SLOTS, type ScannerData, type Slot, type ToReader, type ToScanner } from "./file-scanner-protocol.js";


export interface ClassifiedSink {
  classified(buf: Buffer, ends: Int32Array, codes: Uint8Array, lines: number): void;
  overlong(head: Buffer, dropped: number): void;
  /** `buf` (given to `classified`) is about to be overwritten: drop every reference into it. */
  retire(buf: Buffer): void;
  end(): void;
}

let script: string | null | undefined;

/** The compiled thread script, looked up once. Under the test runner this module is TypeScript from src/, the script is in lib/. */
function threadScript(): string | undefined {
  if (script === undefined) {
    const here = fileURLToPath(import.meta.url);
    const candidates = [path.join(path.dirname(here), "file-scanner-thread.js")];
    if (here.endsWith(".ts")) candidates.push(path.resolve(path.dirname(here), "../../../lib/logs/scan/file-scanner-thread.js"));
    script = candidates.find((f) => fs.existsSync(f)) ?? null;
  }
  return script ?? undefined;
}

/** Whether readLogFileThreaded can run here (else the caller reads the file on its own thread). */
export function threadedReadAvailable(): boolean {
  return threadScript() !== undefined;
}

export async function readLogFileThreaded(file: string, sink: ClassifiedSink): Promise<void> {
  const script = threadScript();
  if (script === undefined) throw new Error("file scanner thread script not found (run `npm run build`)");
  const bytes = MAX_PENDING + REGION_BYTES + 1;
  const slots: Slot[] = Array.from({ length: SLOTS }, () => ({
    data: new SharedArrayBuffer(bytes),
    ends: new SharedArrayBuffer(bytes * 4),
    codes: new SharedArrayBuffer(bytes),
  }));
  const views = slots.map((s) => ({ data: Buffer.from(s.data), ends: new Int32Array(s.ends), codes: new Uint8Array(s.codes) }));
  const worker = new Worker(script, { workerData: { file, slots } satisfies ScannerData });
  const inbox: ToReader[] = [];
  let notify: (() => void) | undefined;
  let crashed: Error | undefined;
  worker.on("message", (m: ToReader) => {
    inbox.push(m);
    notify?.();
  });
  worker.on("error", (error) => {
    crashed = error;
    notify?.();
  });
  worker.on("exit", (code) => {
    crashed ??= new Error(`file scanner thread exited with code ${code}`);
    notify?.();
  });
  const next = async (): Promise<ToReader> => {
    for (;;) {
      const m = inbox.shift();
      if (m !== undefined) return m;
      if (crashed) throw crashed;
      await new Promise<void>((resolve) => (notify = resolve));
    }
  };
  // Regions whose lines the sink may still point into: the last two.
  const held: { slot: number; buf: Buffer }[] = [];
  try {
    for (;;) {
      const m = await next();
      if (m.kind === "done") break;
      if (m.kind === "binary") throw new BinaryLogError();
      if (m.kind === "failed") throw Object.assign(new Error(m.message), m.code ? { code: m.code } : {});
      if (m.kind === "overlong") {
        sink.overlong(Buffer.from(m.head), m.dropped);
        continue;
      }
      const v = views[m.slot]!;
      const buf = v.data.subarray(m.from, m.from + m.length);
      sink.classified(buf, v.ends, v.codes, m.lines);
      held.push({ slot: m.slot, buf });
      if (held.length > 2) {
        const old = held.shift()!;
        sink.retire(old.buf);
        worker.postMessage({ release: old.slot } satisfies ToScanner);
      }
    }
  } finally {
    worker.removeAllListeners("exit");
    await worker.terminate();
  }
  sink.end();
}
