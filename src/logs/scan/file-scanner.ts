// Reads a log file with a second thread (file-scanner-thread.ts) doing most of the byte work: this thread reads the
// file (its reads run on libuv's pool, several regions ahead), cuts the reads into regions of whole lines and routes
// them in order; the scanner thread scans them into shared memory. A region the scanner has not started on when its
// turn comes is scanned here, so this thread never waits while the other is behind, nor during the ~45 ms a thread
// takes to start. On two cores a log is read about three times as fast as on one.

import fs from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ReadCut } from "../byte-reader.js";
import { FileLineCutter } from "../byte-reader.js";
import { BinaryLogError } from "../errors.js";
import { looksBinary, MAX_PENDING, SNIFF_BYTES } from "../reader.js";
import { createScanMemory, createSharedScanner, simdAvailable, type SimdScanner } from "./candidate-scanner.js";
import {
  CONTROL_WORDS,
  DATA_BYTES_PER_SLOT,
  MEMORY_BYTES,
  READ_AT,
  codesAt,
  dataAt,
  endsAt,
  scratchAt,
  FREE,
  FROM,
  INDEX,
  LENGTH,
  LINES,
  READ,
  REGION_BYTES,
  SCANNED,
  SCANNING,
  SLOTS,
  STATE,
  STOP,
  TAKEN,
  VERSION,
  word,
  type ScannerData,
} from "./file-scanner-protocol.js";

export interface ClassifiedSink {
  /** `buf` holds `lines` complete lines, scanned: line i ends at ends[i] and is of kind codes[i]. */
  classified(buf: Buffer, ends: Int32Array, codes: Uint8Array, lines: number): void;
  overlong(head: Buffer, dropped: number): void;
  /** `buf` (given to `region` or `classified`) is about to be overwritten: drop every reference into it. */
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
  return threadScript() !== undefined && simdAvailable();
}

// Atomics.waitAsync is in Node 16 and later; TypeScript declares it from lib es2024 on.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;


/** A region cut from a read, waiting for its turn to be routed. */
interface Region {
  slot: number;
  buf: Buffer;
  /** A too-long line that ended before this region's lines, or (at the end of the file) after them. */
  before?: ReadCut["closedLong"];
  after?: ReadCut["closedLong"];
}

export async function readLogFileThreaded(file: string, sink: ClassifiedSink): Promise<void> {
  const threadFile = threadScript();
  if (threadFile === undefined) throw new Error("file scanner thread script not found (run `npm run build`)");
  const fh = await open(file, "r");
  const memory = createScanMemory(MEMORY_BYTES);
  const slots = Array.from({ length: SLOTS }, (_, s) => Buffer.from(memory.buffer, dataAt(s), DATA_BYTES_PER_SLOT));
  const scanner = createSharedScanner(memory, scratchAt(0));
  const shared = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const control = new Int32Array(shared);
  const worker = new Worker(threadFile, { workerData: { memory, control: shared } satisfies ScannerData });
  let crashed: Error | undefined;
  let wakeOnCrash: (() => void) | undefined;
  worker.on("error", (error) => {
    crashed = error;
    wakeOnCrash?.();
  });
  worker.on("exit", (code) => {
    crashed ??= new Error(`file scanner thread exited with code ${code}`);
    wakeOnCrash?.();
  });
  const reader = new SlotReader(fh, slots, (slot, index, from, length) => {
    Atomics.store(control, word(slot, FROM), dataAt(slot) + from);
    Atomics.store(control, word(slot, LENGTH), length);
    Atomics.store(control, word(slot, INDEX), index);
    Atomics.store(control, word(slot, STATE), READ);
    Atomics.add(control, VERSION, 1);
    Atomics.notify(control, VERSION);
  });
  // Regions the ring may still point into: the last two routed.
  const held: Region[] = [];
  try {
    for (let index = 0; ; index++) {
      // When few regions are cut ahead, lets finished reads report, so that their regions go to the scanner thread well
      // before their turn here. (A turn of the event loop costs ~0.15 ms: not one per region.)
      if (reader.ahead(index) < AHEAD) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        reader.pump();
      }
      const region = await reader.region(index);
      if (region === undefined) break;
      if (region.before) sink.overlong(region.before.head, region.before.dropped);
      if (region.buf.length > 0) {
        const slot = region.slot;
        const at = word(slot, STATE);
        let lines: number;
        if (Atomics.compareExchange(control, at, READ, TAKEN) === READ) lines = scanner.linesAt(region.buf.byteOffset, region.buf.length, endsAt(slot), codesAt(slot));
        else {
          while (Atomics.load(control, at) === SCANNING) {
            if (crashed) throw crashed;
            const wait = waitAsync(control, at, SCANNING);
            if (wait.async) await Promise.race([wait.value, new Promise<void>((resolve) => (wakeOnCrash = resolve))]);
          }
          lines = Atomics.load(control, word(slot, LINES));
        }
        sink.classified(region.buf, new Int32Array(memory.buffer, endsAt(slot), lines), new Uint8Array(memory.buffer, codesAt(slot), lines), lines);
      }
      if (region.after) sink.overlong(region.after.head, region.after.dropped);
      held.push(region);
      if (held.length > 2) {
        const old = held.shift()!;
        sink.retire(old.buf);
        Atomics.store(control, word(old.slot, STATE), FREE);
        reader.release(old.slot);
      }
    }
  } finally {
    Atomics.store(control, STOP, 1);
    Atomics.add(control, VERSION, 1);
    Atomics.notify(control, VERSION);
    worker.removeAllListeners("exit");
    worker.unref();
    void worker.terminate();
    await reader.close();
  }
  sink.end();
}

/** Regions cut ahead of the one being routed below which finished reads are looked for. */
const AHEAD = 3;

/** fs.read as a promise: FileHandle#read costs several times more per call on this thread. */
function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
}

/**
 * Reads the file into the free slots, several regions ahead (each read at its own file offset, so they need not wait
 * for one another), and cuts them, in order and as soon as they are read, into regions of whole lines: each region
 * starts with the unfinished line of the one before, copied in front of its read.
 */
class SlotReader {
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => i);
  private readonly reads = new Map<number, { slot: number; done: Promise<number>; bytes: number }>();
  private readonly cut = new Map<number, Region>();
  private nextRead = 0;
  private nextCut = 0;
  /** The number of regions, once the last read came back short. */
  private end = Infinity;
  private readonly cutter = new FileLineCutter();
  private readonly carry = Buffer.allocUnsafe(MAX_PENDING);
  private carried = 0;

  constructor(
    private readonly fh: FileHandle,
    /** The slots' bytes. */
    private readonly slots: Buffer[],
    /** Hands a region's slot to the scanner thread. */
    private readonly publish: (slot: number, index: number, from: number, length: number) => void,
  ) {
    this.issue();
  }

  private issue(): void {
    while (this.free.length > 0 && this.nextRead < this.end) {
      const slot = this.free.shift()!;
      const index = this.nextRead++;
      const read = { slot, bytes: -1, done: readAt(this.fh.fd, this.slots[slot]!, READ_AT, REGION_BYTES, index * REGION_BYTES) };
      // A failed read surfaces when its region's turn comes (or in close): no unhandled rejection meanwhile.
      read.done.then((n) => (read.bytes = n), () => undefined);
      this.reads.set(index, read);
    }
  }

  release(slot: number): void {
    this.free.push(slot);
    this.issue();
  }

  /** How many regions from `index` on are cut. */
  ahead(index: number): number {
    return this.nextCut - index;
  }

  /** Cuts the regions whose reads are done, in order, and publishes them. */
  pump(): void {
    while (this.nextCut < this.end) {
      const read = this.reads.get(this.nextCut);
      if (read === undefined || read.bytes < 0) return;
      this.cutNext(read.bytes);
    }
  }

  /** Region `index` (asked for in order); undefined after the last one. A region may hold no lines (inside a too-long line). */
  async region(index: number): Promise<Region | undefined> {
    while (!this.cut.has(index)) {
      if (index >= this.end) return undefined;
      this.cutNext(await this.reads.get(this.nextCut)!.done);
    }
    const region = this.cut.get(index)!;
    this.cut.delete(index);
    return region;
  }

  private cutNext(bytesRead: number): void {
    const index = this.nextCut++;
    const { slot } = this.reads.get(index)!;
    this.reads.delete(index);
    const data = this.slots[slot]!;
    const start = READ_AT - this.carried;
    this.carry.copy(data, start, 0, this.carried);
    const buf = data.subarray(start);
    const total = this.carried + bytesRead;
    if (index === 0 && looksBinary(buf.subarray(0, Math.min(total, SNIFF_BYTES)))) throw new BinaryLogError();
    let cut = this.cutter.cut(buf, total);
    let after: ReadCut["closedLong"];
    if (bytesRead < REGION_BYTES) {
      // The last read. Its last line may have no newline: finish gives it one, or closes a too-long line.
      this.end = index + 1;
      const tail = this.cutter.finish(buf.subarray(cut?.to ?? 0), cut?.carry ?? 0);
      if (tail?.closedLong) after = tail.closedLong;
      else if (tail !== undefined) cut = { ...(cut ?? { from: 0 }), to: (cut?.to ?? 0) + tail.to, carry: 0 };
    }
    this.carried = cut?.carry ?? 0;
    if (cut !== undefined) buf.copy(this.carry, 0, cut.to, cut.to + cut.carry);
    const from = cut?.from ?? 0;
    const to = Math.max(cut?.to ?? 0, from);
    if (to > from) this.publish(slot, index, start + from, to - from);
    const region: Region = { slot, buf: buf.subarray(from, to) };
    if (cut?.closedLong) region.before = cut.closedLong;
    if (after) region.after = after;
    this.cut.set(index, region);
  }

  async close(): Promise<void> {
    // Reads may still be under way (read ahead, or when the sink threw).
    await Promise.all([...this.reads.values()].map((r) => r.done.catch(() => undefined)));
    await this.fh.close();
  }
}
