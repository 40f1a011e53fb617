// Reads a log file with a second thread (file-scanner-thread.ts) doing most of the byte work: it reads the file into a
// shared WebAssembly memory, several regions ahead, and scans the regions in place; this thread cuts the reads into
// regions of whole lines, in order, and routes them. A region the other thread has not got to when its turn comes is
// read or scanned here, so this thread never waits while the other is behind, nor while it starts (45 ms on an idle
// core, about twice that beside this busy thread). Reads go through readSync on either thread: an fs.read from this
// thread, on libuv's pool, stalled it for up to several ms at a time while both cores were busy.

import fs from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { FileLineCutter, type ReadCut, type RegionSink, readLogFile } from "../byte-reader.js";
import { BinaryLogError } from "../errors.js";
import { looksBinary, MAX_PENDING } from "../reader.js";
import {
  createScanMemory,
  createSharedScanner,
  simdAvailable,
  teddyModule,
  type WasmMemory,
} from "./candidate-scanner.js";
import {
  CONTROL_WORDS,
  Control,
  codesAt,
  dataAt,
  endsAt,
  Field,
  MEMORY_BYTES,
  oldestIn,
  READ_AT,
  REGION_BYTES,
  readRegion,
  type ScannerData,
  SLOT_DATA_BYTES,
  SLOTS,
  State,
  scanRegion,
  scratchAt,
  word,
} from "./file-scanner-protocol.js";

/** A RegionSink that also takes regions scanned already, and must let go of a region before it is overwritten. */
export interface ClassifiedSink extends RegionSink {
  /** `buf` holds `lines` complete lines, scanned: line i ends at ends[i] and is of kind codes[i]. */
  classified(buf: Buffer, ends: Int32Array, codes: Uint8Array, lines: number): void;
  /** `buf` (given to `region` or `classified`) is about to be overwritten: drop every reference into it. */
  retire(buf: Buffer): void;
}

let script: string | null | undefined;

/** The compiled thread script, looked up once. Under the test runner this module is TypeScript from src/, the script is in lib/. */
function threadScript(): string | undefined {
  if (script === undefined) {
    const here = fileURLToPath(import.meta.url);
    const candidates = [path.join(path.dirname(here), "file-scanner-thread.js")];
    if (here.endsWith(".ts"))
      candidates.push(path.resolve(path.dirname(here), "../../../lib/logs/scan/file-scanner-thread.js"));
    script = candidates.find((f) => fs.existsSync(f)) ?? null;
  }
  return script ?? undefined;
}

/** Whether readLogFileThreaded can run here (else the caller reads the file on its own thread). */
export function threadedReadAvailable(): boolean {
  return threadScript() !== undefined && simdAvailable();
}

// Atomics.waitAsync is in Node 16 and later; TypeScript declares it from lib es2024 on.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** A region cut from a read, waiting for its turn to be routed. */
interface Region {
  slot: number;
  buf: Buffer;
  /** A too-long line that ended before this region's lines, or (at the end of the file) after them. */
  before?: ReadCut["closedLong"];
  after?: ReadCut["closedLong"];
}

/** How the work was shared: regions the scanner thread read and scanned (the rest, this thread did). */
export interface ThreadedReadStats {
  regions: number;
  threadReads: number;
  threadScans: number;
}

/**
 * A scanner thread that fails while it holds a region makes the read fail; one that fails between regions, or never
 * starts, only leaves its work to this thread (the stats tell).
 */
export async function readLogFileThreaded(file: string, sink: ClassifiedSink): Promise<ThreadedReadStats> {
  const threadFile = threadScript();
  if (threadFile === undefined) throw new Error("file scanner thread script not found (run `npm run build`)");
  // A pipe (`<(gh run view --log)`, /dev/stdin) cannot be read at offsets: it is read in order, on this thread. (Asked
  // of the path: opening a pipe twice would lose what was written before the second open.)
  if (!(await stat(file)).isFile()) {
    await readLogFile(file, sink);
    return { regions: 0, threadReads: 0, threadScans: 0 };
  }
  const fh = await open(file, "r");
  const memory = createScanMemory(MEMORY_BYTES);
  const scanner = createSharedScanner(memory, scratchAt(0));
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const worker = new Worker(threadFile, {
    workerData: {
      file,
      module: teddyModule()!,
      memory,
      control: control.buffer as SharedArrayBuffer,
    } satisfies ScannerData,
  });
  const threads = new Threads(worker, control);
  const reader = new SlotReader(fh.fd, memory, threads);
  // Regions the ring may still point into: the last two routed.
  const held: Region[] = [];
  let index = 0;
  try {
    for (; ; index++) {
      // Cuts what the scanner thread has read meanwhile, so that it can scan it before its turn here.
      reader.pump();
      const region = await reader.region(index);
      if (region === undefined) break;
      if (region.before) sink.overlong(region.before.head, region.before.dropped);
      if (region.buf.length > 0) {
        const slot = region.slot;
        let lines: number;
        if (threads.take(slot, State.READ, State.TAKEN)) lines = scanRegion(scanner, control, slot);
        else {
          // While the other thread scans this region, the next one waiting is scanned here rather than nothing done.
          for (
            let ahead = oldestIn(control, State.READ, index);
            threads.state(slot) === State.SCANNING && ahead >= 0;
            ahead = oldestIn(control, State.READ, index)
          ) {
            if (!threads.take(ahead, State.READ, State.TAKEN)) continue;
            scanRegion(scanner, control, ahead);
            threads.set(ahead, State.SCANNED);
          }
          await threads.whileIn(slot, State.SCANNING);
          lines = Atomics.load(control, word(slot, Field.LINES));
        }
        sink.classified(
          region.buf,
          new Int32Array(memory.buffer, endsAt(slot), lines),
          new Uint8Array(memory.buffer, codesAt(slot), lines),
          lines,
        );
      }
      if (region.after) sink.overlong(region.after.head, region.after.dropped);
      held.push(region);
      if (held.length > 2) {
        const old = held.shift()!;
        sink.retire(old.buf);
        reader.release(old.slot);
      }
    }
  } finally {
    threads.stop();
    await fh.close();
  }
  sink.end();
  return {
    regions: index,
    threadReads: Atomics.load(control, Control.READS),
    threadScans: Atomics.load(control, Control.SCANS),
  };
}

/** This thread's side of the control words (file-scanner-protocol.ts). */
class Threads {
  private crashed: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly worker: Worker,
    readonly control: Int32Array,
  ) {
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`file scanner thread exited with code ${code}`)));
  }

  private fail(error: Error): void {
    this.crashed ??= error;
    this.wake?.();
  }

  state(slot: number): number {
    return Atomics.load(this.control, word(slot, Field.STATE));
  }

  /** Sets a slot's state and wakes the scanner thread if it sleeps. */
  set(slot: number, state: number): void {
    Atomics.store(this.control, word(slot, Field.STATE), state);
    Atomics.add(this.control, Control.VERSION, 1);
    if (Atomics.load(this.control, Control.SLEEPING) !== 0) Atomics.notify(this.control, Control.VERSION);
  }

  /** Swaps a slot's state `from` → `to`; false when the scanner thread got there first. */
  take(slot: number, from: number, to: number): boolean {
    return Atomics.compareExchange(this.control, word(slot, Field.STATE), from, to) === from;
  }

  /** Waits, without blocking this thread's event loop, until the slot leaves `state`. */
  async whileIn(slot: number, state: number): Promise<void> {
    while (this.state(slot) === state) {
      if (this.crashed) throw this.crashed;
      const wait = waitAsync(this.control, word(slot, Field.STATE), state);
      if (wait.async) await Promise.race([wait.value, new Promise<void>((resolve) => (this.wake = resolve))]);
    }
  }

  stop(): void {
    Atomics.store(this.control, Control.STOP, 1);
    Atomics.add(this.control, Control.VERSION, 1);
    Atomics.notify(this.control, Control.VERSION);
    this.worker.removeAllListeners("exit");
    this.worker.unref();
    void this.worker.terminate();
  }
}

/**
 * Assigns the free slots regions of the file to read, several ahead (each at its own file offset, so any thread can
 * read any of them), and cuts them, in order, into regions of whole lines: each starts with the unfinished line of the
 * one before, copied in front of its read. The scanner thread reads what it can; a region still unread when it is
 * needed is read here.
 */
class SlotReader {
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => i);
  private readonly slotOf = new Map<number, number>();
  private readonly cut = new Map<number, Region>();
  private readonly slots: Buffer[];
  private nextAssign = 0;
  private nextCut = 0;
  /** The number of regions, once a read came back short. */
  private end = Infinity;
  private readonly cutter = new FileLineCutter();
  private readonly carry = Buffer.allocUnsafe(MAX_PENDING);
  private carried = 0;

  constructor(
    private readonly fd: number,
    private readonly memory: WasmMemory,
    private readonly threads: Threads,
  ) {
    this.slots = Array.from({ length: SLOTS }, (_, s) => Buffer.from(memory.buffer, dataAt(s), SLOT_DATA_BYTES));
    this.assign();
  }

  private assign(): void {
    const control = this.threads.control;
    while (this.free.length > 0 && this.nextAssign < this.end) {
      const slot = this.free.shift()!;
      const index = this.nextAssign++;
      this.slotOf.set(index, slot);
      Atomics.store(control, word(slot, Field.INDEX), index);
      this.threads.set(slot, State.ASSIGNED);
    }
  }

  release(slot: number): void {
    this.threads.set(slot, State.FREE);
    this.free.push(slot);
    this.assign();
  }

  /** Cuts the regions already read, in order, and hands them to the scanner thread. */
  pump(): void {
    while (this.nextCut < this.end) {
      const slot = this.slotOf.get(this.nextCut)!;
      if (this.threads.state(slot) !== State.FILLED) return;
      this.cutNext(slot, Atomics.load(this.threads.control, word(slot, Field.BYTES)));
    }
  }

  /** Region `index` (asked for in order); undefined after the last one. A region may hold no lines (inside a too-long line). */
  async region(index: number): Promise<Region | undefined> {
    while (!this.cut.has(index)) {
      if (index >= this.end) return undefined;
      const slot = this.slotOf.get(this.nextCut)!;
      if (this.threads.take(slot, State.ASSIGNED, State.OWN_READ))
        this.cutNext(slot, readRegion(this.fd, this.memory, this.threads.control, slot));
      else {
        await this.threads.whileIn(slot, State.READING);
        this.pump();
      }
    }
    const region = this.cut.get(index)!;
    this.cut.delete(index);
    return region;
  }

  private cutNext(slot: number, bytesRead: number): void {
    const index = this.nextCut++;
    this.slotOf.delete(index);
    const data = this.slots[slot]!;
    const start = READ_AT - this.carried;
    this.carry.copy(data, start, 0, this.carried);
    const buf = data.subarray(start);
    const total = this.carried + bytesRead;
    if (index === 0 && looksBinary(buf.subarray(0, total))) throw new BinaryLogError();
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
    const region: Region = { slot, buf: buf.subarray(from, to) };
    if (cut?.closedLong) region.before = cut.closedLong;
    if (after) region.after = after;
    this.cut.set(index, region);
    if (to > from) {
      const control = this.threads.control;
      Atomics.store(control, word(slot, Field.FROM), dataAt(slot) + start + from);
      Atomics.store(control, word(slot, Field.LENGTH), to - from);
      this.threads.set(slot, State.READ);
    }
  }
}
