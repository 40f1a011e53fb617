// Streaming line reader: bytes or text in, cleaned lines out, memory bounded by the longest kept line.

import { cleanLine, MAX_LINE_CHARS, truncateLine } from "./clean.js";
import { BinaryLogError } from "./errors.js";
import { MAX_PENDING } from "./limits.js";

export type LogInput = string | Buffer | Uint8Array | AsyncIterable<Buffer | Uint8Array | string>;

/** How many leading bytes are inspected to tell text from binary. */
export const SNIFF_BYTES = 8192;
export { MAX_PENDING } from "./limits.js";

/** Heuristic over the first bytes: NUL anywhere, or more than 10% control bytes (besides tab, newline, CR, ESC, FF, BS). */
export function looksBinary(sample: Uint8Array | string): boolean {
  let control = 0;
  const n = Math.min(sample.length, SNIFF_BYTES);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = typeof sample === "string" ? sample.charCodeAt(i) : sample[i]!;
    if (c === 0) return true;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27 && c !== 12 && c !== 8) control++;
  }
  return control / n > 0.1;
}

export type LineSink = (line: string) => void;

/** Splits decoded text into lines, carrying the partial last line over to the next chunk. */
class LineSplitter {
  private pending = "";
  private overflow = 0;
  count = 0;
  constructor(private readonly sink: LineSink) {}

  push(text: string): void {
    let start = 0;
    let nl = text.indexOf("\n");
    if (nl < 0) {
      this.append(text);
      return;
    }
    // The first line of this chunk completes the pending one.
    this.append(text.slice(0, nl));
    this.emit();
    start = nl + 1;
    nl = text.indexOf("\n", start);
    while (nl >= 0) {
      const len = nl - start;
      if (len > MAX_PENDING) {
        this.overflow = len - MAX_PENDING;
        this.pending = text.slice(start, start + MAX_PENDING);
        this.emit();
      } else {
        this.count++;
        this.sink(cleanLine(text.slice(start, nl)));
      }
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    this.append(text.slice(start));
  }

  private append(s: string): void {
    if (s.length === 0) return;
    const room = MAX_PENDING - this.pending.length;
    if (room <= 0) {
      this.overflow += s.length;
    } else if (s.length > room) {
      this.pending += s.slice(0, room);
      this.overflow += s.length - room;
    } else {
      this.pending += s;
    }
  }

  private emit(): void {
    const raw = this.pending;
    const dropped = this.overflow;
    this.pending = "";
    this.overflow = 0;
    this.count++;
    const line = cleanLine(raw);
    this.sink(
      dropped > 0 && line.length <= MAX_LINE_CHARS + 64
        ? truncateLine(line.slice(0, MAX_LINE_CHARS), raw.length + dropped)
        : line,
    );
  }

  end(): void {
    if (this.pending.length > 0 || this.overflow > 0) this.emit();
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Buffer | Uint8Array | string> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

/**
 * Reads a GitHub Actions (or any CI) log and calls `sink` with each cleaned line, in order.
 * Throws BinaryLogError before emitting anything when the first bytes are not text. Returns the line count.
 */
export async function readLogLines(input: LogInput, sink: LineSink): Promise<number> {
  const splitter = new LineSplitter(sink);
  if (typeof input === "string") {
    if (looksBinary(input)) throw new BinaryLogError();
    splitter.push(input);
    splitter.end();
    return splitter.count;
  }
  const decoder = new TextDecoder("utf-8");
  if (!isAsyncIterable(input)) {
    if (looksBinary(input)) throw new BinaryLogError();
    splitter.push(decoder.decode(input));
    splitter.end();
    return splitter.count;
  }
  // Bytes are held back until SNIFF_BYTES are seen, so a binary file is refused before any line is emitted.
  let sniffed = 0;
  let held: (Uint8Array | string)[] = [];
  const feed = (chunk: Uint8Array | string) => {
    splitter.push(typeof chunk === "string" ? decoder.decode() + chunk : decoder.decode(chunk, { stream: true }));
  };
  for await (const chunk of input) {
    if (sniffed < SNIFF_BYTES) {
      if (looksBinary(chunk)) throw new BinaryLogError();
      sniffed += chunk.length;
      held.push(chunk);
      if (sniffed < SNIFF_BYTES) continue;
      for (const c of held) feed(c);
      held = [];
      continue;
    }
    feed(chunk);
  }
  for (const c of held) feed(c);
  splitter.push(decoder.decode());
  splitter.end();
  return splitter.count;
}
