import { describe, expect, it } from "vitest";
import { headOf, tailOf } from "../../src/output/cut-text.js";
import { cutEnd, cutMiddle } from "../../src/output/markdown.js";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("cutting text on code points", () => {
  it("never keeps half of a surrogate pair at the end of a head", () => {
    expect(headOf("ab😀c", 3)).toBe("ab"); // "😀" is two code units: the cut at 3 would split it
    expect(headOf("ab😀c", 4)).toBe("ab😀");
    expect(headOf("ab😀c", 10)).toBe("ab😀c");
    expect(headOf("😀", 0)).toBe("");
  });

  it("never keeps half of a surrogate pair at the start of a tail", () => {
    expect(tailOf("a😀bc", 3)).toBe("bc");
    expect(tailOf("a😀bc", 4)).toBe("😀bc");
  });

  it("cutEnd and cutMiddle keep every emoji whole and stay within the limit", () => {
    const text = "🚑".repeat(5000);
    for (const max of [9, 10, 101, 4001]) {
      const end = cutEnd(text, max);
      const middle = cutMiddle(text, max);
      expect(end.length).toBeLessThanOrEqual(max);
      expect(middle.length).toBeLessThanOrEqual(max);
      expect(end).not.toMatch(LONE_SURROGATE);
      expect(middle).not.toMatch(LONE_SURROGATE);
    }
  });
});
