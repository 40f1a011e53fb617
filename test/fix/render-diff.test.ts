import { describe, expect, it } from "vitest";
import { lineDiff, splitLines } from "../../src/fix/line-diff.js";
import { diffBlock, fenceFor, suggestions, unifiedDiff } from "../../src/fix/render-diff.js";

const lines = (n: number, prefix = "l") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}\n`).join("");

describe("lineDiff", () => {
  it("finds a minimal diff", () => {
    const d = lineDiff("a\nb\nc\nd\n", "a\nc\nd\ne\n");
    expect(d.ops).toEqual([
      { op: " ", text: "a\n" },
      { op: "-", text: "b\n" },
      { op: " ", text: "c\n" },
      { op: " ", text: "d\n" },
      { op: "+", text: "e\n" },
    ]);
    expect([d.added, d.removed, d.approximate]).toEqual([1, 1, false]);
  });

  it("counts a lost final newline as a changed line", () => {
    const d = lineDiff("a\nb\n", "a\nb");
    expect([d.added, d.removed]).toEqual([1, 1]);
  });

  it("replays to the new text", () => {
    const before = "x\ny\nz\nx\ny\nz\n";
    const after = "y\nx\nz\nq\nz\n";
    const d = lineDiff(before, after);
    expect(
      d.ops
        .filter((o) => o.op !== "-")
        .map((o) => o.text)
        .join(""),
    ).toBe(after);
    expect(
      d.ops
        .filter((o) => o.op !== "+")
        .map((o) => o.text)
        .join(""),
    ).toBe(before);
  });

  it("gives up on precision past the bound and over-counts instead", () => {
    const before = lines(50, "a");
    const after = lines(50, "b");
    const d = lineDiff(before, after, 10);
    expect(d).toMatchObject({ added: 50, removed: 50, approximate: true });
  });

  it("diffs a 200,000-line file with one changed line exactly", () => {
    const before = lines(200_000);
    const after = before.replace("l100000\n", "changed\n");
    const d = lineDiff(before, after);
    expect([d.added, d.removed, d.approximate]).toEqual([1, 1, false]);
  });

  it("splits lines keeping terminators", () => {
    expect(splitLines("a\nb")).toEqual(["a\n", "b"]);
    expect(splitLines("")).toEqual([]);
  });
});

describe("unifiedDiff", () => {
  it("renders git-style hunks with context, merging close changes", () => {
    const before = lines(20);
    const after = before.replace("l3\n", "L3\n").replace("l6\n", "L6\n").replace("l18\n", "");
    expect(unifiedDiff([{ path: "src/a.ts", before, after }])).toBe(
      [
        "diff --git a/src/a.ts b/src/a.ts",
        "--- a/src/a.ts",
        "+++ b/src/a.ts",
        "@@ -1,9 +1,9 @@",
        " l1",
        " l2",
        "-l3",
        "+L3",
        " l4",
        " l5",
        "-l6",
        "+L6",
        " l7",
        " l8",
        " l9",
        "@@ -15,6 +15,5 @@",
        " l15",
        " l16",
        " l17",
        "-l18",
        " l19",
        " l20",
        "",
      ].join("\n"),
    );
  });

  it("renders a new file and a missing final newline", () => {
    expect(unifiedDiff([{ path: "n.txt", before: null, after: "one\ntwo" }])).toBe(
      [
        "diff --git a/n.txt b/n.txt",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/n.txt",
        "@@ -0,0 +1,2 @@",
        "+one",
        "+two",
        "\\ No newline at end of file",
        "",
      ].join("\n"),
    );
  });
});

describe("fences", () => {
  it("chooses a fence longer than any backtick run", () => {
    expect(fenceFor("plain")).toBe("```");
    expect(fenceFor("a ```` b ` c")).toBe("`````");
  });

  it("keeps a diff of Markdown with fences inside its block", () => {
    const block = diffBlock([{ path: "README.md", before: "x\n", after: "```js\ncode\n```\n" }]);
    expect(block.startsWith("````diff\n")).toBe(true);
    expect(block.endsWith("\n````")).toBe(true);
  });
});

describe("suggestions", () => {
  it("makes one suggestion per changed region, with line numbers of the current file", () => {
    const before = lines(10);
    const after = before.replace("l2\nl3\n", "L2\n").replace("l9\n", "l9\nextra\n");
    expect(suggestions({ path: "a.txt", before, after })).toEqual([
      { path: "a.txt", startLine: 2, line: 3, body: "```suggestion\nL2\n```" },
      { path: "a.txt", startLine: 9, line: 9, body: "```suggestion\nl9\nextra\n```" },
    ]);
  });

  it("suggests an empty replacement for a deletion and nothing for a new file", () => {
    expect(suggestions({ path: "a.txt", before: "a\nb\n", after: "a\n" })).toEqual([
      { path: "a.txt", startLine: 2, line: 2, body: "```suggestion\n```" },
    ]);
    expect(suggestions({ path: "n.txt", before: null, after: "x\n" })).toEqual([]);
  });

  it("anchors an insertion at the top on the first line", () => {
    expect(suggestions({ path: "a.txt", before: "a\n", after: "top\na\n" })).toEqual([
      { path: "a.txt", startLine: 1, line: 1, body: "```suggestion\ntop\na\n```" },
    ]);
  });
});
