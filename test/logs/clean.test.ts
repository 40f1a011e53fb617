import { describe, expect, it } from "vitest";
import { cleanLine, cleanLineBytes } from "../../src/logs/clean.js";
import { normaliseKey } from "../../src/logs/collector.js";

const TS = "2024-05-06T07:08:09.1234567Z ";

/** Small deterministic generator: lines built from pieces that sit on the edges of both functions' rules. */
function* generated(pieces: string[], count: number, maxParts: number): Generator<string> {
  let seed = 12345;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  for (let i = 0; i < count; i++) {
    let line = "";
    for (let n = rnd(maxParts); n > 0; n--) line += pieces[rnd(pieces.length)];
    yield line;
  }
}

describe("cleanLineBytes", () => {
  const cases = [
    `${TS}plain text`,
    `${TS}`,
    `${TS}\r`,
    `${TS}\x1b[32m✓\x1b[39m passes`,
    `${TS}10%\r50%\r100% done\r`,
    `${TS}${TS}twice stamped`,
    `\uFEFF${TS}##[group]Run npm ci`,
    "2024-05-06T07:08:09Z short form",
    "2024-05-06T07:08:09.12345Z shorter fraction",
    "2024-05-06T07:08:09.1234567Z",
    "2024-05-06T07:08:09.1é34567Z not ASCII inside",
    "2024-05-06T07:08:09.1Z34567Z an early Z",
    "é024-05-06T07:08:09.1234567Z not a timestamp",
    "no timestamp at all",
    "",
    "\r",
  ];

  it("reads a line's bytes as cleanLine reads its text", () => {
    for (const line of cases)
      expect(cleanLineBytes(Buffer.from(line), 0, Buffer.byteLength(line)), JSON.stringify(line)).toBe(cleanLine(line));
  });

  it("agrees with cleanLine on colour codes, redraws and a character split by a code", () => {
    const raw = [
      Buffer.from(`${TS}\x1b[32m✓\x1b[39m passes \x1b[2m(3 ms)\x1b[22m`),
      Buffer.from(`${TS}\x1b[1m\uFEFFbold after a BOM`),
      Buffer.from(`${TS}\x1b]8;;https://x\x07link\x1b]8;;\x07 and \x1b[1mbold`),
      Buffer.from(`${TS}\x1b[1mhalf\r\x1b[0mredrawn`),
      Buffer.from(`${TS}\x1b[`),
      // A character split by a colour code: not valid UTF-8, so decoded as it stands.
      Buffer.concat([Buffer.from(TS), Buffer.from([0xe2, 0x1b, 0x5b, 0x30, 0x6d, 0x9c, 0x93]), Buffer.from(" split")]),
    ];
    for (const b of raw)
      expect(cleanLineBytes(b, 0, b.length), JSON.stringify(b.toString("latin1"))).toBe(cleanLine(b.toString("utf8")));
    expect(cleanLineBytes(raw[0]!, 0, raw[0]!.length)).toBe("✓ passes (3 ms)");
  });

  it("agrees with cleanLine on generated lines, inside a larger buffer", () => {
    const pieces = [
      TS,
      "2024-05-06T07:08:09.12Z",
      "\r",
      "\x1b[1m",
      "\x1b]8;;x\x07",
      "é",
      "Z",
      " ",
      "text",
      "\uFEFF",
      "0",
      "-",
      "T",
      ":",
    ];
    for (const line of generated(pieces, 20_000, 6)) {
      const buf = Buffer.from(`prefix\n${line}\nsuffix`);
      const start = 7;
      expect(cleanLineBytes(buf, start, start + Buffer.byteLength(line)), JSON.stringify(line)).toBe(cleanLine(line));
    }
  });
});

describe("normaliseKey", () => {
  // The rule it implements, as regular expressions.
  const reference = (line: string) =>
    line
      .replace(/\b[0-9a-f]{7,}\b/gi, "H")
      .replace(/\d+/g, "N")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 200);

  it("masks hex ids, numbers and whitespace runs", () => {
    expect(normaliseKey("  Error: commit deadbeef1 failed after 1234 ms\t(attempt 2) ")).toBe(
      "Error: commit H failed after N ms (attempt N)",
    );
    expect(normaliseKey("id DEADBEEFCAFE vs deadbeefz and abc1234")).toBe("id H vs deadbeefz and H");
  });

  it("agrees with the regular expressions on generated lines, long ones included", () => {
    const pieces = [
      " ",
      "\t",
      "\u00a0",
      "\u2028",
      "\uFEFF",
      "a",
      "F",
      "0",
      "9",
      "_",
      "-",
      "g",
      "é",
      "deadbeef",
      "1234567",
      "cafe",
      ".",
      "x".repeat(90),
    ];
    for (const line of generated(pieces, 50_000, 12))
      expect(normaliseKey(line), JSON.stringify(line)).toBe(reference(line));
  });
});
