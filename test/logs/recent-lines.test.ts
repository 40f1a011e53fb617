import { describe, expect, it } from "vitest";
import { ByteLineRing, type TailSnapshot } from "../../src/logs/recent-lines.js";

/** `count` skipped lines `tag i` (padded to about 100 bytes, so that a few tails fill an arena block). */
function skip(ring: ByteLineRing, tag: string, count: number): void {
  const text = Array.from({ length: count }, (_, i) => `${tag} ${i} ${"x".repeat(90)}`).join("\n");
  ring.skipRun(Buffer.from(`${text}\n`), 0, Buffer.byteLength(text), count);
}

const texts = (s: TailSnapshot) => s.lines().map((l) => l.text.split(" ").slice(0, 2).join(" "));

describe("ByteLineRing tails", () => {
  it("reuses a released tail's memory without changing the tails still held", () => {
    const ring = new ByteLineRing();
    skip(ring, "kept", 200);
    const kept = ring.snapshot(200, 1);
    // Each tail is a ~20 KB copy: forty of them, each released as the next is taken, cycle through the arena's blocks.
    let previous: TailSnapshot | undefined;
    for (let step = 0; step < 40; step++) {
      skip(ring, `step${step}`, 200);
      const tail = ring.snapshot(200, 1);
      expect(tail.last(1)[0]!.text).toMatch(new RegExp(`^step${step} 199 `));
      previous?.release();
      previous = tail;
    }
    expect(texts(previous!)).toEqual(Array.from({ length: 200 }, (_, i) => `step39 ${i}`));
    expect(texts(kept)).toEqual(Array.from({ length: 200 }, (_, i) => `kept ${i}`));
    expect(kept.last(1)[0]!.n).toBe(200);
  });

  it("refuses to read a released tail's bytes", () => {
    const ring = new ByteLineRing();
    skip(ring, "line", 10);
    const tail = ring.snapshot(5, 1);
    tail.release();
    tail.release();
    expect(() => tail.last(2)).toThrow(/released/);
  });
});
