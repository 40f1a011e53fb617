// Streaming byte reader for the fast path: hands over large buffers that hold only complete lines, so the caller can
// scan a whole region at once and decode (UTF-8) only the few lines it keeps. Memory: one region plus one capped
// partial line.

import fs from "node:fs/promises";
import { MAX_LINE_CHARS } from "./clean.js";
import { BinaryLogError } from "./errors.js";
import { looksBinary, type LogInput } from "./reader.js";

/** How many leading bytes are inspected to tell text from binary (as readLogLines). */
const SNIFF_BYTES = 8192;
/**
 * Regions are about this big. Small enough that a region and its latin1 copy stay ordinary heap objects, which the
 * young-generation GC frees at once (a 1 MB region lands in large-object space and lets RSS grow past 160 MB).
 */
const REGION_BYTES = 64 * 1024;
/** A partial line longer than this stops growing; the rest of it is only counted (as readLogLines). */
const MAX_PENDING = 4 * MAX_LINE_CHARS;

export interface RegionSink {
  /** `buf` holds complete lines, each ending with `\n`. */
  region(buf: Buffer): void;
  /** A line longer than MAX_PENDING bytes: its head, decoded, and how many bytes were dropped. */
  overlong(head: Buffer, dropped: number): void;
  /** No more input. */
  end(): void;
  /** A buffer handed over in `region` is about to be overwritten (see readLogFile): drop every reference into it. */
  retire?(buf: Buffer): void;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Buffer | Uint8Array | string> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

function toBuffer(c: Buffer | Uint8Array | string): Buffer {
  if (typeof c === "string") return Buffer.from(c, "utf8");
  return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

class RegionSplitter {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes of an unfinished line that outgrew MAX_PENDING, and how many were dropped after them. */
  private longHead: Buffer | undefined;
  private longDropped = 0;

  constructor(private readonly sink: RegionSink) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.longHead !== undefined) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.longDropped += chunk.length;
        return;
      }
      this.longDropped += nl;
      this.sink.overlong(this.longHead, this.longDropped);
      this.longHead = undefined;
      this.longDropped = 0;
      chunk = chunk.subarray(nl + 1);
      if (chunk.length === 0) return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= REGION_BYTES) this.flush(false);
  }

  private flush(final: boolean): void {
    if (this.heldBytes === 0) return;
    const all = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    const last = all.lastIndexOf(10);
    // Big input chunks are handed over in region-sized slices (no copy), cut after a newline.
    let from = 0;
    while (last + 1 - from > 2 * REGION_BYTES) {
      const cut = all.indexOf(10, from + REGION_BYTES);
      this.sink.region(all.subarray(from, cut + 1));
      from = cut + 1;
    }
    if (last >= from) this.sink.region(all.subarray(from, last + 1));
    const rest = all.subarray(last + 1);
    if (rest.length === 0) return;
    if (final) {
      this.sink.region(Buffer.concat([rest, Buffer.from("\n")]));
    } else if (rest.length > MAX_PENDING) {
      // Copied: the head must not keep the whole region alive.
      this.longHead = Buffer.from(rest.subarray(0, MAX_PENDING));
      this.longDropped = rest.length - MAX_PENDING;
    } else {
      // Copied for the same reason; at most MAX_PENDING bytes.
      this.held.push(Buffer.from(rest));
      this.heldBytes = rest.length;
    }
  }

  end(): void {
    if (this.longHead !== undefined) {
      this.sink.overlong(this.longHead, this.longDropped);
      this.longHead = undefined;
    }
    this.flush(true);
    this.sink.end();
  }
}

/** Reads a log as regions of complete lines. Throws BinaryLogError before any region when the first bytes are not text. */
export async function readLogRegions(input: LogInput, sink: RegionSink): Promise<void> {
  const splitter = new RegionSplitter(sink);
  if (!isAsyncIterable(input)) {
    if (looksBinary(input)) throw new BinaryLogError();
    splitter.push(toBuffer(input));
    splitter.end();
    return;
  }
  let sniffed = 0;
  let held: Buffer[] = [];
  for await (const raw of input) {
    const chunk = toBuffer(raw);
    if (sniffed < SNIFF_BYTES) {
      if (looksBinary(chunk)) throw new BinaryLogError();
      sniffed += chunk.length;
      held.push(chunk);
      if (sniffed < SNIFF_BYTES) continue;
      for (const c of held) splitter.push(c);
      held = [];
      continue;
    }
    splitter.push(chunk);
  }
  for (const c of held) splitter.push(c);
  splitter.end();
}

/** Bytes read from a file at a time: one region. */
const FILE_READ_BYTES = 256 * 1024;

/**
 * Reads a log file as regions of complete lines, like readLogRegions, into two buffers used in turn: while the sink
 * works on one, the next read fills the other (the read runs on libuv's thread pool, so the two overlap), and no
 * read allocates. A region's buffer is overwritten by the read after next; the sink is told first (`retire`).
 * Throws BinaryLogError before any region when the first bytes are not text.
 */
export async function readLogFile(file: string, sink: RegionSink): Promise<void> {
  const fh = await fs.open(file, "r");
  let pending: Promise<{ bytesRead: number }> = Promise.resolve({ bytesRead: 0 });
  try {
    const pool = [Buffer.allocUnsafe(FILE_READ_BYTES + MAX_PENDING + 1), Buffer.allocUnsafe(FILE_READ_BYTES + MAX_PENDING + 1)];
    let which = 0;
    /** Bytes of an unfinished line at the start of pool[which]. */
    let carry = 0;
    let longHead: Buffer | undefined;
    let longDropped = 0;
    pending = fh.read(pool[0]!, 0, FILE_READ_BYTES, null);
    for (let first = true; ; first = false) {
      const buf = pool[which]!;
      const { bytesRead } = await pending;
      const total = carry + bytesRead;
      if (first && looksBinary(buf.subarray(0, Math.min(total, SNIFF_BYTES)))) throw new BinaryLogError();
      if (bytesRead === 0) {
        if (longHead !== undefined) sink.overlong(longHead, longDropped);
        else if (total > 0) {
          // The last line has no newline: one is added, as readLogRegions does (the buffer has room for it).
          buf[total] = 10;
          sink.region(buf.subarray(0, total + 1));
        }
        break;
      }
      // Where this buffer's complete lines start and end, before anything is handed over.
      let from = 0;
      let closesLong = false;
      if (longHead !== undefined) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= total) {
          longDropped += total;
          carry = 0;
          pending = fh.read(buf, 0, FILE_READ_BYTES, null);
          continue;
        }
        longDropped += nl;
        closesLong = true;
        from = nl + 1;
      }
      const last = buf.lastIndexOf(10, total - 1);
      const restFrom = Math.max(last + 1, from);
      const rest = total - restFrom;
      // The next read starts now, into the other buffer, behind the unfinished line.
      const next = pool[which ^ 1]!;
      sink.retire?.(next);
      let nextHead: Buffer | undefined;
      if (rest > MAX_PENDING) {
        // Copied: the head must outlive this buffer.
        nextHead = Buffer.from(buf.subarray(restFrom, restFrom + MAX_PENDING));
        carry = 0;
      } else {
        buf.copy(next, 0, restFrom, total);
        carry = rest;
      }
      pending = fh.read(next, carry, FILE_READ_BYTES, null);
      if (closesLong) {
        sink.overlong(longHead!, longDropped);
        longHead = undefined;
        longDropped = 0;
      }
      if (last >= from) sink.region(buf.subarray(from, last + 1));
      if (nextHead !== undefined) {
        longHead = nextHead;
        longDropped = rest - MAX_PENDING;
      }
      which ^= 1;
    }
  } finally {
    // A read may still be under way when the sink threw.
    await pending.catch(() => undefined);
    await fh.close();
  }
  sink.end();
}
