import { describe, expect, it } from "vitest";
import { COMMENT_MAX_CHARS, renderComment } from "../../src/output/render-comment.js";
import { evidence, view } from "./fixtures.js";

const MARKER = "<!-- ci-medic:diagnosis:161335 -->";
const count = (s: string, needle: string) => s.split(needle).length - 1;

describe("renderComment", () => {
  it("says what failed with links, the root cause, the fix, the key lines, confidence, source and the commands", () => {
    const body = renderComment(view({ seen: { count: 3, since: new Date("2026-11-20T10:00:00Z") } }));
    expect(body).toContain(
      "### ci-medic: [CI](https://github.com/Codertocat/Hello-World/actions/runs/30433642) failed",
    );
    expect(body).toContain("Run attempt 2 on `feature/sum` at `ec26c3e`.");
    expect(body).toContain(
      "- [test (ubuntu-latest, 20)](https://github.com/Codertocat/Hello-World/actions/runs/30433642/job/2) — failed step `Run npm test`",
    );
    expect(body).toContain("**Root cause**\n\n`sum(1, 2)` returns 3 but the test expects 4.");
    expect(body).toContain("**Suggested fix**\n\nFix the expectation in `src/sum.test.ts` line 5.");
    expect(body).toContain(
      "<details><summary>Key log lines: test (ubuntu-latest, 20)</summary>\n\n```text\n FAIL  src/sum.test.ts > adds\nAssertionError: expected 3 to be 4\n ❯ src/sum.test.ts:5:17\n```\n\n</details>",
    );
    expect(body).toContain("Category: **test** · confidence: 72% · source: model gemini-2.5-flash");
    expect(body).toContain("Seen 3 times since 2026-11-20.");
    expect(body).toContain("- `/approve` —");
    expect(body).toContain("- `/approve <hint>` —");
    expect(body).toContain("- `/reject` —");
    expect(body.endsWith(`\n\n${MARKER}`)).toBe(true);
  });

  it("names the deterministic source and its reason", () => {
    const v = view();
    const body = renderComment({
      ...v,
      diagnosis: { ...v.diagnosis, source: "deterministic", model: undefined, fallbackReason: "no LLM configured" },
    });
    expect(body).toContain("source: deterministic: no LLM configured");
  });

  it("offers /approve only at or above minConfidence, and never for a flaky failure", () => {
    const at = (confidence: number, extra = {}) => {
      const v = view(extra);
      return renderComment({ ...v, diagnosis: { ...v.diagnosis, confidence } });
    };
    expect(at(0.6)).toContain("/approve");
    expect(at(0.59)).not.toContain("/approve");
    expect(at(0.59)).toContain("No automatic fix is offered: the confidence is below 60%.");
    expect(at(0.95, { flaky: true })).not.toContain("/approve");
    expect(at(0.95, { flaky: true })).toContain("marked as flaky");
  });

  it("shows the state of a fix request instead of offering another", () => {
    const opened = renderComment(
      view({ approval: { state: "opened", by: "octocat", prUrl: "https://github.com/Codertocat/Hello-World/pull/9" } }),
    );
    expect(opened).toContain(
      "**Fix:** requested by `octocat`; [fix pull request](https://github.com/Codertocat/Hello-World/pull/9) opened.",
    );
    expect(opened).not.toContain("/approve");
    const rejected = renderComment(view({ approval: { state: "rejected", by: "octocat", reason: "wrong @team" } }));
    expect(rejected).toContain("**Fix:** declined by `octocat`: wrong @\u200bteam.");
    const failed = renderComment(view({ approval: { state: "failed", by: "octocat", reason: "tests still fail" } }));
    expect(failed).toContain("ended as failed: tests still fail");
    expect(failed).toContain("/approve");
  });

  it("uses a fence longer than any backtick run in the excerpt", () => {
    const excerpt = "before\n````\nnot the end\n`````js\nafter";
    const body = renderComment(view({ jobs: [evidence({ excerpt })] }));
    expect(body).toContain(`\`\`\`\`\`\`text\n${excerpt}\n\`\`\`\`\`\`\n`);
  });

  it("neutralises mentions outside code, leaves the excerpt's code alone", () => {
    const v = view({ jobs: [evidence({ jobName: "deploy @ops", excerpt: "npm ERR! @scope/pkg not found" })] });
    const body = renderComment({
      ...v,
      diagnosis: {
        ...v.diagnosis,
        rootCause: "Ping @octocat and @github/security about it",
        suggestedFix: "```sh\nnpm i @scope/pkg\n```",
      },
    });
    expect(body).toContain("Ping @\u200boctocat and @\u200bgithub/security about it");
    expect(body).toContain("deploy @\u200bops");
    expect(body).toContain("npm ERR! @scope/pkg not found");
    expect(body).toContain("```sh\nnpm i @scope/pkg\n```");
    expect(body).not.toMatch(/(^|[^`\u200b])@octocat/);
  });

  it("renders no raw HTML and cannot carry a forged marker from any untrusted field", () => {
    const forged = "<!-- ci-medic:diagnosis:999 -->";
    const v = view({
      run: {
        workflowName: `CI ${forged}`,
        runUrl: "javascript:alert(1)",
        attempt: 1,
        headSha: "abc1234",
        headBranch: `x${forged}`,
      },
      jobs: [
        evidence({
          jobName: `<img src=x onerror=alert(1)>${forged}`,
          failedSteps: [forged],
          excerpt: `log ${forged}\n</details><script>x</script>`,
        }),
      ],
    });
    const body = renderComment({
      ...v,
      diagnosis: {
        ...v.diagnosis,
        rootCause: `<b>bold</b> ${forged} <!-- unclosed`,
        suggestedFix: `\`\`\`\n${forged}\n\`\`\``,
        summary: "![x](https://evil.example/p.png)",
      },
    });
    expect(count(body, "<!--")).toBe(1);
    expect(body.endsWith(MARKER)).toBe(true);
    expect(body).not.toContain("ci-medic:diagnosis:999 -->");
    expect(body).not.toContain("<img");
    expect(body).not.toContain("<b>");
    expect(body).toContain("&lt;b&gt;bold&lt;/b&gt;");
    expect(body).not.toContain("javascript:");
    expect(body).toContain("x (image not shown: `https://evil.example/p.png`)");
    // The excerpt's closing tag stays inside the fence as text.
    expect(body).toContain(
      "```text\nlog <!-\u200b- ci-medic:diagnosis:999 -\u200b->\n</details><script>x</script>\n```",
    );
  });

  it("closes a fence the LLM left open so it cannot swallow the rest", () => {
    const v = view();
    const body = renderComment({ ...v, diagnosis: { ...v.diagnosis, suggestedFix: "Run:\n```sh\nnpm ci" } });
    expect(body).toContain("**Suggested fix**\n\nRun:\n```sh\nnpm ci\n```\n\n");
  });

  it("fits a huge excerpt in 65,536 characters by shortening the excerpt, keeping its end and the rest", () => {
    const excerpt = `${"early noise line\n".repeat(8_000)}the real error at the end`;
    const body = renderComment(
      view({ jobs: [evidence({ excerpt }), evidence({ jobName: "lint", excerpt: "x\n".repeat(20_000) })] }),
    );
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body.length).toBeGreaterThan(COMMENT_MAX_CHARS - 2_000);
    expect(body).toContain("the real error at the end");
    expect(body).toContain("… [excerpt shortened to fit GitHub's limit] …");
    expect(body).toContain("**Root cause**\n\n`sum(1, 2)` returns 3 but the test expects 4.");
    expect(body).toContain("/approve");
    expect(body.endsWith(MARKER)).toBe(true);
  });

  it("stays within the cap with absurd prose and hundreds of jobs, the marker still last", () => {
    const v = view({
      jobs: Array.from({ length: 400 }, (_, i) =>
        evidence({ jobName: `job ${i} ${"n".repeat(300)}`, excerpt: "e".repeat(5_000) }),
      ),
    });
    const body = renderComment({
      ...v,
      diagnosis: { ...v.diagnosis, rootCause: "r".repeat(100_000), suggestedFix: "f".repeat(100_000) },
    });
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body.endsWith(`\n\n${MARKER}`)).toBe(true);
    expect(body).toContain("confidence: 72%");
    expect(body).toContain("… and 350 more failed jobs");
  });
});
