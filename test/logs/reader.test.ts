import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { analyzeLog, BinaryLogError, EmptyLogError } from "../../src/logs/analyze.js";
import { cleanLine, MAX_LINE_CHARS } from "../../src/logs/clean.js";
import { readLogLines } from "../../src/logs/reader.js";

async function lines(input: Parameters<typeof readLogLines>[0]): Promise<string[]> {
  const out: string[] = [];
  await readLogLines(input, (l) => out.push(l));
  return out;
}

async function* chunks(...parts: (Buffer | string)[]): AsyncIterable<Buffer | string> {
  for (const p of parts) yield p;
}

describe("cleanLine", () => {
  it.each([
    ["2024-01-02T03:04:05.1234567Z npm test", "npm test"],
    ["2024-01-02T03:04:05Z plain", "plain"],
    ["\x1b[31mERROR\x1b[0m: boom", "ERROR: boom"],
    ["\x1b[?1h\x1b=\x1b[?1l\x1b>insert-mode ERROR", "insert-mode ERROR"],
    ["\x1b]8;;https://x.test\x07link\x1b]8;;\x07", "link"],
    ["\uFEFF2024-01-02T03:04:05.1234567Z first", "first"],
    ["Downloading 10%\r 50%\r100% done", "100% done"],
    ["line with crlf\r", "line with crlf"],
    ["progress 99%\r", "progress 99%"],
    ["no timestamp 2024-01-02T03:04:05Z later", "no timestamp 2024-01-02T03:04:05Z later"],
  ])("%j -> %j", (raw, clean) => {
    expect(cleanLine(raw)).toBe(clean);
  });

  it("truncates very long lines with a marker", () => {
    const out = cleanLine("x".repeat(10_000));
    expect(out.startsWith("x".repeat(MAX_LINE_CHARS))).toBe(true);
    expect(out).toContain("…[line truncated, 5904 more chars]");
  });
});

describe("readLogLines", () => {
  it("decodes UTF-8 split across chunk boundaries and joins lines split across chunks", async () => {
    const text = "2024-01-02T03:04:05.1234567Z ✗ Ünïcödé failed\n2024-01-02T03:04:05.1234567Z second line\n";
    const buf = Buffer.from(text);
    const cut = buf.indexOf(Buffer.from("✗")) + 1; // inside the 3-byte ✗
    const cut2 = buf.indexOf(Buffer.from("second")) + 3;
    const padding = Buffer.from(`${"p".repeat(9000)}\n`); // past the binary sniff window, so chunks are decoded one by one
    const got = await lines(chunks(padding, buf.subarray(0, cut), buf.subarray(cut, cut2), buf.subarray(cut2)));
    expect(got.slice(1)).toEqual(["✗ Ünïcödé failed", "second line"]);
  });

  it("reads strings, Buffers and Node streams alike", async () => {
    const text = "a\r\nb\nc";
    expect(await lines(text)).toEqual(["a", "b", "c"]);
    expect(await lines(Buffer.from(text))).toEqual(["a", "b", "c"]);
    expect(await lines(Readable.from([Buffer.from("a\r"), Buffer.from("\nb\nc")]))).toEqual(["a", "b", "c"]);
  });

  it("bounds a line without newline that spans many chunks", async () => {
    const parts = Array.from({ length: 50 }, () => "y".repeat(10_000));
    const got = await lines(chunks(...parts, "\nafter\n"));
    expect(got).toHaveLength(2);
    expect(got[0]!.length).toBeLessThan(MAX_LINE_CHARS + 100);
    expect(got[0]).toContain("line truncated");
    expect(got[1]).toBe("after");
  });

  it("rejects binary input before emitting any line", async () => {
    const bin = Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(100, 0)]);
    const seen: string[] = [];
    await expect(readLogLines(chunks(bin), (l) => seen.push(l))).rejects.toBeInstanceOf(BinaryLogError);
    expect(seen).toEqual([]);
  });
});

describe("analyzeLog input errors", () => {
  it("throws BinaryLogError on binary input", async () => {
    await expect(analyzeLog(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3]))).rejects.toBeInstanceOf(
      BinaryLogError,
    );
  });

  it("throws EmptyLogError on empty and whitespace-only input", async () => {
    await expect(analyzeLog("")).rejects.toBeInstanceOf(EmptyLogError);
    await expect(analyzeLog(chunks("\n", "  \r\n", "2024-01-02T03:04:05.1234567Z \n"))).rejects.toBeInstanceOf(
      EmptyLogError,
    );
  });
});
