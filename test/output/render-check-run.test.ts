import { describe, expect, it } from "vitest";
import { CHECK_TEXT_MAX_CHARS, renderCheckRun } from "../../src/output/render-check-run.js";
import { evidence, view } from "./fixtures.js";

describe("renderCheckRun", () => {
  it("gives a one-line title, the diagnosis as summary and the key lines as text", () => {
    const out = renderCheckRun(view());
    expect(out.title).toBe("test: 1 failing test in src/sum.test.ts");
    expect(out.summary).toContain("**Root cause**\n\n`sum(1, 2)` returns 3 but the test expects 4.");
    expect(out.summary).toContain("confidence: 72%");
    expect(out.summary).toContain(
      "- [test (ubuntu-latest, 20)](https://github.com/Codertocat/Hello-World/actions/runs/30433642/job/2) — `Run npm test`",
    );
    expect(out.text).toBe(
      "### Key log lines: test (ubuntu-latest, 20)\n\n```text\n FAIL  src/sum.test.ts > adds\nAssertionError: expected 3 to be 4\n ❯ src/sum.test.ts:5:17\n```",
    );
  });

  it("caps the title at 255 characters on one line, and summary and text at 65,535", () => {
    const v = view({
      jobs: [evidence({ excerpt: "z\n".repeat(60_000) }), evidence({ jobName: "b", excerpt: "y\n".repeat(30_000) })],
    });
    const out = renderCheckRun({
      ...v,
      diagnosis: { ...v.diagnosis, summary: `multi\nline ${"t".repeat(500)}`, rootCause: "r".repeat(80_000) },
    });
    expect(out.title.length).toBeLessThanOrEqual(255);
    expect(out.title).not.toContain("\n");
    expect(out.summary.length).toBeLessThanOrEqual(CHECK_TEXT_MAX_CHARS);
    expect(out.summary).toContain("confidence: 72%");
    expect(out.text.length).toBeLessThanOrEqual(CHECK_TEXT_MAX_CHARS);
    expect(out.text.length).toBeGreaterThan(CHECK_TEXT_MAX_CHARS - 1_000);
    expect(out.text.match(/^```text$/gm)).toHaveLength(2);
    expect(out.text.match(/^```$/gm)).toHaveLength(2);
  });

  it("applies the same safety rules: no raw HTML, no comments, no mentions", () => {
    const v = view({ jobs: [evidence({ jobName: "<i>x</i> @ops-team", excerpt: "<!-- ci-medic:x -->" })] });
    const out = renderCheckRun({
      ...v,
      diagnosis: { ...v.diagnosis, summary: "@octocat <!-- ci-medic:y -->", rootCause: "<script>@octocat</script>" },
    });
    const all = `${out.title}\n${out.summary}\n${out.text}`;
    expect(all).not.toContain("<!--");
    expect(all).not.toContain("<script>");
    expect(all).not.toContain("<i>");
    expect(all).not.toMatch(/@(?!\u200b)[a-z]/);
  });
});
