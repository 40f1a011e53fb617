// The words and symbols that make a log line worth a closer look, as short byte literals for the SIMD prefilter
// (teddy.wat). It must match every line the anchors (../anchors.ts PREFILTER, EXTRA_TRIGGERS) or the annotation
// parsers could act on because of a word inside it; lines that matter because of how they start are checked by the
// router itself. A literal may stand for a longer word (`ceba` for Traceback): the prefilter only has to flag the
// line. Literals are matched case-insensitively (ASCII), up to their first four bytes.
//
// `err` is spelt out as the forms a rule acts on (`error`, `npm ERR!`, `ERR_PNPM_…`): a three-byte `err` needs a
// bucket of its own and flags every `stderr`.
//
// Literals of one bucket share nibble tables, so a bucket also matches cross-products of its literals' nibbles. The
// grouping below was chosen by counting matches on ~120 MB of real CI logs (../shared/data: LogChunks, CiDiff,
// gha-logs) plus the benchmark log: about 15% more positions than the literals alone. Literals shorter than four
// bytes make a bucket's missing positions match anything, so the symbols (three bytes) and `×` (two) have their own.
const BUCKETS: readonly (readonly string[])[] = [
  ["erro", "err!", "err_", "exit", "expe"],
  ["exce", "y op"], // …, Too many open files
  ["fail", "fata", "kill"], // …, Killed
  ["sser", "warn"], // assert, …
  ["pani", "abor", "aceb"], // …, Traceback
  ["enie", "egme", "e le", "--be"], // denied, Segmentation fault, No space left, -----BEGIN
  ["✕", "✖", "✗", "✘", "▲", "❯", "●", "❌"], // …, xcpretty's error mark
  ["×"],
];

/** Literal positions the prefilter compares. */
export const LITERAL_BYTES = 4;

/** `| 0x20`, as teddy.wat folds its input: ASCII upper case becomes lower case (other bytes may collide, harmlessly). */
export function fold(byte: number): number {
  return byte | 0x20;
}

/**
 * The 128 bytes of nibble tables teddy.wat reads: for position k, 16 low-nibble entries at 32k and 16 high-nibble
 * entries at 32k + 16, each a bit set of buckets.
 */
export function buildTables(buckets: readonly (readonly string[])[] = BUCKETS): Uint8Array {
  if (buckets.length > 8) throw new Error("at most 8 buckets");
  const t = new Uint8Array(32 * LITERAL_BYTES);
  buckets.forEach((literals, b) => {
    const bit = 1 << b;
    for (const literal of literals) {
      const bytes = Buffer.from(literal, "utf8");
      for (let k = 0; k < LITERAL_BYTES; k++) {
        if (k >= bytes.length) {
          // Past the literal's end any byte matches.
          for (let n = 0; n < 16; n++) {
            t[32 * k + n]! |= bit;
            t[32 * k + 16 + n]! |= bit;
          }
        } else {
          const v = fold(bytes[k]!);
          t[32 * k + (v & 15)]! |= bit;
          t[32 * k + 16 + (v >> 4)]! |= bit;
        }
      }
    }
  });
  return t;
}

/** Every literal, for tests and the fallback scanner. */
export const LITERALS: readonly string[] = BUCKETS.flat();
