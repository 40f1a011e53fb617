import { describe, expect, it } from "vitest";
import { inlineCode, renderForkSuggestion, sanitiseModelText, sanitiseTitle } from "../../src/fix/pr-body.js";

describe("sanitiseModelText", () => {
  it("neutralises mentions, issue references, HTML and hidden comments", () => {
    const out = sanitiseModelText("cc @org/team and @bob <!-- secret --> closes #3, GH-4 <script>x</script>\u0007");
    expect(out).toBe(
      "cc @\u200borg/team and @\u200bbob  c\u200bloses #\u200b3, GH-\u200b4 &lt;script&gt;x&lt;/script&gt;",
    );
  });

  it("renders links and images in the explanation inert", () => {
    const out = sanitiseModelText("[Re-authorize ci-medic](https://evil.example/a) ![x](https://evil.example/p.png)");
    expect(out).toBe(
      "Re-authorize ci-medic (`https://evil.example/a`) x (image not shown: `https://evil.example/p.png`)",
    );
  });

  it("caps the length", () => {
    expect(sanitiseModelText("x".repeat(5000))).toHaveLength(4000);
  });

  it("keeps a title on one line and defuses a closing keyword in it", () => {
    expect(sanitiseTitle("Fix CI:\n  bump\tnode\u0000")).toBe("Fix CI: bump node");
    expect(sanitiseTitle("\n")).toBe("Fix CI");
    expect(sanitiseTitle("Fix CI: closes #1")).toBe("Fix CI: c\u200bloses #\u200b1");
  });

  it("quotes paths that contain backticks", () => {
    expect(inlineCode("a`b")).toBe("``a`b``");
  });
});

describe("renderForkSuggestion", () => {
  it("posts the patch as a diff block with a per-file summary", () => {
    const body = renderForkSuggestion(
      [
        { path: "src/sum.ts", before: "return a - b;\n", after: "return a + b;\n" },
        { path: "docs/x.md", before: null, after: "```\ncode\n```\n" },
      ],
      {
        approvedBy: "alice",
        runUrl: "https://github.com/acme/widgets/actions/runs/9",
        explanation: "Use + not -. @mallory",
      },
    );
    expect(body).toBe(
      [
        "This pull request comes from a fork, which ci-medic cannot push to, so here is the fix approved by @alice for [the failed run](https://github.com/acme/widgets/actions/runs/9) as a patch. Save it and apply it with `git apply`, or copy the changes by hand.",
        "",
        "| File | Added | Removed |",
        "| --- | ---: | ---: |",
        "| `src/sum.ts` | +1 | −1 |",
        "| `docs/x.md` (new) | +3 | −0 |",
        "",
        "**2 files, +4 −1**",
        "",
        "Use + not -. @\u200bmallory",
        "",
        "````diff",
        "diff --git a/src/sum.ts b/src/sum.ts",
        "--- a/src/sum.ts",
        "+++ b/src/sum.ts",
        "@@ -1,1 +1,1 @@",
        "-return a - b;",
        "+return a + b;",
        "diff --git a/docs/x.md b/docs/x.md",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/docs/x.md",
        "@@ -0,0 +1,3 @@",
        "+```",
        "+code",
        "+```",
        "````",
      ].join("\n"),
    );
  });

  it("leaves out a run link that is not a plain URL", () => {
    const body = renderForkSuggestion([{ path: "a", before: "x\n", after: "y\n" }], {
      approvedBy: "alice",
      runUrl: "javascript:alert(1)",
    });
    expect(body).not.toContain("javascript:");
  });
});
