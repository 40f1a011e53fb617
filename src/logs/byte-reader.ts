// Streaming byte reader for the fast path: hands over large buffers that hold only complete lines, so the caller can
// scan a whole region at once and decode (UTF-8) only the few lines it keeps. Memory: one region plus one capped
// partial line.

import fs from "node:fs/promises";
import { BinaryLogError } from "./errors.js";
import { type LogInput, looksBinary, MAX_PENDING, SNIFF_BYTES } from "./reader.js";

/** Stream chunks are regrouped into regions of about this size (a file is read 1 MB at a time, see readLogFile). */
const REGION_BYTES = 64 * 1024;

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

/** How one read of a log file divides (see FileLineCutter). */
export interface ReadCut {
  /** Complete lines: bytes [from, to) of the buffer (none when to <= from). */
  from: number;
  to: number;
  /** How many bytes from `to` on, an unfinished line, go to the start of the next read (0 once it grew too long). */
  carry: number;
  /** A line longer than MAX_PENDING that ended in this read: reported before the lines. */
  closedLong?: { head: Buffer; dropped: number };
}

/**
 * Cuts successive reads of one file into complete lines, as RegionSplitter cuts a stream, but in place: each read
 * starts with the bytes the previous one carried over; a line longer than MAX_PENDING keeps only its head.
 */
class FileLineCutter {
  private longHead: Buffer | undefined;
  private longDropped = 0;

  /** `buf[0, total)` holds the carried bytes and the new ones; undefined when all of them lie inside a too-long line. */
  cut(buf: Buffer, total: number): ReadCut | undefined {
    let from = 0;
    let closedLong: ReadCut["closedLong"];
    if (this.longHead !== undefined) {
      const nl = buf.indexOf(10);
      if (nl < 0 || nl >= total) {
        this.longDropped += total;
        return undefined;
      }
      closedLong = { head: this.longHead, dropped: this.longDropped + nl };
      this.longHead = undefined;
      this.longDropped = 0;
      from = nl + 1;
    }
    // (lastIndexOf from -1 would search from the buffer's end.)
    const to = total > 0 ? Math.max(buf.lastIndexOf(10, total - 1) + 1, from) : from;
    let carry = total - to;
    if (carry > MAX_PENDING) {
      // Copied: the head must outlive this buffer.
      this.longHead = Buffer.from(buf.subarray(to, to + MAX_PENDING));
      this.longDropped = carry - MAX_PENDING;
      carry = 0;
    }
    return closedLong ? { from, to, carry, closedLong } : { from, to, carry };
  }

  /** At the end of the file, `buf[0, total)` holding the carried bytes: a last line without a newline gets one (`buf` needs room for it). */
  finish(buf: Buffer, total: number): ReadCut | undefined {
    if (this.longHead !== undefined)
      return { from: 0, to: 0, carry: 0, closedLong: { head: this.longHead, dropped: this.longDropped } };
    if (total === 0) return undefined;
    buf[total] = 10;
    return { from: 0, to: total + 1, carry: 0 };
  }
}

/**
 * Bytes read from a file at a time: one region. Each read is a round trip to libuv's pool (a thread woken, then the
 * event loop): on the 200 MB benchmark log, 7 interleaved runs (2026-12-03, load ~2 on 2 cores) took 418 ms at 128 KB,
 * 371 ms at 256 KB, 340 ms at 512 KB and 319 ms at 1 MB (no less at 2 MB, more at 4 MB). The reads stay on the pool:
 * 1 MB synchronous reads lost under load.
 */
const FILE_READ_BYTES = 1024 * 1024;

/**
 * Buffers readLogFile uses in turn. With two, the read into the buffer of the region before last would overwrite the
 * lines the sink still holds (a step's tail, the context before an anchor: up to 256 lines, see recent-lines.ts), so
 * every read would start with copying them out into fresh memory (a page fault per 4 KB; on the 200 MB log, 20 MB
 * copied in all at 256 KB reads). With three, those lines lie in the last region by the time a buffer is reused, and
 * `retire` finds nothing to copy, unless that region held fewer than 256 lines: lines of over 4 KB on average, or the
 * short reads of a pipe.
 */
const FILE_BUFFERS = 3;

/**
 * Reads a log file as regions of complete lines, like readLogRegions, into FILE_BUFFERS buffers used in turn: while
 * the sink works on one, the next read fills the next (the read runs on libuv's thread pool, so the two overlap), and
 * no read allocates. A buffer is overwritten FILE_BUFFERS - 1 regions after it was handed over; the sink is told
 * first (`retire`). Throws BinaryLogError before any region when the first bytes are not text.
 */
export async function readLogFile(file: string, sink: RegionSink): Promise<void> {
  const fh = await fs.open(file, "r");
  let pending: Promise<{ bytesRead: number }> = Promise.resolve({ bytesRead: 0 });
  const emit = (buf: Buffer, c: ReadCut | undefined) => {
    if (c?.closedLong) sink.overlong(c.closedLong.head, c.closedLong.dropped);
    if (c && c.to > c.from) sink.region(buf.subarray(c.from, c.to));
  };
  try {
    const pool = Array.from({ length: FILE_BUFFERS }, () => Buffer.allocUnsafe(FILE_READ_BYTES + MAX_PENDING + 1));
    const cutter = new FileLineCutter();
    let which = 0;
    /** Bytes of an unfinished line at the start of pool[which]. */
    let carry = 0;
    pending = fh.read(pool[0]!, 0, FILE_READ_BYTES, null);
    for (let first = true; ; first = false) {
      const buf = pool[which]!;
      const { bytesRead } = await pending;
      const total = carry + bytesRead;
      if (first && looksBinary(buf.subarray(0, total))) throw new BinaryLogError();
      if (bytesRead === 0) {
        emit(buf, cutter.finish(buf, total));
        break;
      }
      const cut = cutter.cut(buf, total);
      if (cut === undefined) {
        carry = 0;
        pending = fh.read(buf, 0, FILE_READ_BYTES, null);
        continue;
      }
      // The next read starts now, into the next buffer, behind the unfinished line.
      const next = pool[(which + 1) % FILE_BUFFERS]!;
      sink.retire?.(next);
      buf.copy(next, 0, cut.to, cut.to + cut.carry);
      carry = cut.carry;
      pending = fh.read(next, carry, FILE_READ_BYTES, null);
      emit(buf, cut);
      which = (which + 1) % FILE_BUFFERS;
    }
  } finally {
    // A read may still be under way when the sink threw.
    await pending.catch(() => undefined);
    await fh.close();
  }
  sink.end();
}
