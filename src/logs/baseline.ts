// The lines of a passing run of the same job: a failed log's lines that the passing log did not print are the ones
// most likely to say what went wrong. Pure: text in, a set of line fingerprints out.

import { cleanLine } from "./clean.js";

/** Most lines of a passing log remembered; a longer log's later lines are not (their fingerprints cost 8 bytes each). */
export const MAX_BASELINE_LINES = 500_000;
/** A line longer than this is compared by its head only (the reader cuts such lines too), so memory stays bounded. */
const MAX_PENDING_CHARS = 100_000;

// What changes between two runs of the same job without meaning anything: clock times and dates, durations, sizes,
// rates, progress counters, CPU times, test ordinals, ids, temporary paths, random ports, process ids, memory
// addresses. Masked before lines are compared, so `Took 3.2s` and `Took 2.9s` are the same line. Small numbers stay
// (`Failures: 1` is not `Failures: 0`, `file.ts:72` is not `file.ts:73`).
const MONTH =
  "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\b\\.?";
const MASKS: [RegExp, string][] = [
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?/g, "T"],
  [/\b\d{4}[-/]\d\d[-/]\d\d\b/g, "D"],
  // Dates with a month name, as java.util.logging, `ls -l`, `date` and HTTP headers print them: `Jan 07, 2022`,
  // `Dec 23 00:28`, `07 Jan 2022`.
  [new RegExp(`\\b${MONTH} +\\d{1,2}(?:,? +\\d{4})?\\b|\\b\\d{1,2} ${MONTH} \\d{4}\\b`, "g"), "D"],
  [/\b\d{1,2}:\d\d:\d\d(?:[.,]\d+)?(?: ?[AP]M\b)?/g, "T"],
  // A clock time after a date (`Dec 23 00:28`) and minute durations (Maven's `Total time: 01:59 min`); a bare `12:34`
  // stays, it can be a line and column.
  [/\bD \d{1,2}:\d\d\b/g, "D T"],
  [/\b\d{1,3}:\d\d(?:\.\d+)? ?min\b/g, "N"],
  // time(1): `real 1m26.420s`.
  [/\b\d+m\d+(?:\.\d+)?s\b/g, "N"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "U"],
  [/\b0x[0-9a-f]+\b/gi, "A"],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, "H"],
  [
    /(?:\/tmp|\/var\/folders|\/private\/var|[A-Za-z]:\\(?:Users\\[^\\\s]+\\AppData\\Local\\)?Temp|\/home\/runner\/work\/_temp)[\\/][^\s'"`:)]*/g,
    "P",
  ],
  [/\b(node|pid|PID|process)([:= ])\d+\b/g, "$1$2N"],
  [/\b(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d{2,5}\b/g, "$1:N"],
  // Progress counters (git's `Receiving objects:  57% (426/746)`) and rates (`244.7 runs/s`, `1.3 KB/sec`).
  [/\b\d{1,3}% \(\d+\/\d+\)/g, "N"],
  [/\b\d+(?:\.\d+)?\s?(?:[kKMG]i?B|[a-z]+)\/s(?:ec)?\b/g, "N"],
  [
    /\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|µs|us|ns|(?:milli|micro|nano)seconds?)\b/g,
    "N",
  ],
  // CPU times as prove and BSD `time` print them (`0.02 usr`, `1.20 real`).
  [/\b\d+\.\d+ ?(?:usr|sys|cusr|csys|CPU|user|real)\b/g, "N"],
  // Sizes, with a unit or, joined to the number, a bare multiplier (Maven's `Final Memory: 27M/228M`).
  [/\b\d+(?:\.\d+)?(?:\s?(?:[kKMG]i?B|bytes?|(?:kilo|mega|giga)bytes)|[KMG])\b/g, "N"],
  // TAP numbers its results in order: `ok 20 - name` is the same result as `ok 21 - name` after a test was added.
  [/^(\s*(?:not )?ok) \d+\b/, "$1 N"],
  [/\b\d{5,}\b/g, "N"],
  [/\s+/g, " "],
];

/** A line as compared with the passing log: cleaned like the reader cleans it, then volatile parts masked. */
export function baselineKey(cleanedLine: string): string {
  let s = cleanedLine;
  for (const [re, to] of MASKS) s = s.replace(re, to);
  return s.trim();
}

/** 53-bit FNV-1a-style hash of a string (two 32-bit lanes), exact as a JS number. */
function hash53(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/** The lines of a passing log, as fingerprints: membership only, never the text (a log can hold anything). */
export class Baseline {
  private readonly keys = new Set<number>();
  lines = 0;

  /** Adds one raw line of the passing log (timestamps and colour codes are cleaned here). */
  add(raw: string): void {
    if (this.keys.size >= MAX_BASELINE_LINES) return;
    this.lines++;
    const key = baselineKey(cleanLine(raw));
    if (key.length > 0) this.keys.add(hash53(key));
  }

  /** Whether a cleaned line of the failed log also appears in the passing log (after masking). */
  has(cleanedLine: string): boolean {
    const key = baselineKey(cleanedLine);
    return key.length === 0 || this.keys.has(hash53(key));
  }

  get size(): number {
    return this.keys.size;
  }

  static fromText(text: string): Baseline {
    const b = new Baseline();
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      b.add(text.slice(start, nl < 0 ? text.length : nl));
      if (nl < 0) break;
      start = nl + 1;
    }
    return b;
  }

  /** A downloaded passing log, read line by line from its bytes (never decoded whole). */
  static fromBytes(bytes: Uint8Array): Baseline {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const b = new Baseline();
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      b.add(buf.toString("utf8", start, nl < 0 ? buf.length : nl));
      if (nl < 0) break;
      start = nl + 1;
    }
    return b;
  }

  /** Reads a passing log from a stream of chunks (a file or a download), holding one partial line at a time. */
  static async fromChunks(chunks: AsyncIterable<Buffer | Uint8Array | string>): Promise<Baseline> {
    const b = new Baseline();
    const decoder = new TextDecoder("utf-8", { fatal: false });
    let pending = "";
    // Inside an overlong line whose head was added already: the rest, up to its newline, is dropped.
    let skipping = false;
    for await (const chunk of chunks) {
      pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      let nl = pending.indexOf("\n");
      let start = 0;
      while (nl >= 0) {
        if (!skipping) b.add(pending.slice(start, nl));
        skipping = false;
        start = nl + 1;
        nl = pending.indexOf("\n", start);
      }
      pending = pending.slice(start);
      if (!skipping && pending.length > MAX_PENDING_CHARS) {
        b.add(pending);
        skipping = true;
      }
      if (skipping) pending = "";
    }
    pending += decoder.decode();
    if (pending.length > 0 && !skipping) b.add(pending);
    return b;
  }
}
