import { describe, expect, it } from "vitest";
import { MAX_PROPOSAL_CHARS, type ProposalView, renderProposal } from "../../src/fix/render-proposal.js";
import { changeSize, contentHash, cumulativeChanges, cumulativeLimitReasons } from "../../src/jobs/fix-chain.js";

const small = { path: "src/sum.ts", before: "return a - b;\n", after: "return a + b;\n" };

function view(over: Partial<ProposalView> = {}): ProposalView {
  return {
    attempt: 1,
    maxAttempts: 3,
    changes: [small],
    stats: { files: 1, added: 1, removed: 1, bytes: 16 },
    limits: { maxFiles: 5, maxChangedLines: 200 },
    explanation: "Use + instead of -. Thanks @alice <!-- hidden -->",
    contentHash: "0123456789abcdef".repeat(4),
    ciFiles: [],
    target: { kind: "new-branch", branch: "ci-medic/fix-1" },
    ...over,
  };
}

describe("renderProposal", () => {
  it("shows a short file's diff open, the verdict, the hash and what /approve will do", () => {
    const body = renderProposal(view())!;
    expect(body).toContain("### ci-medic: proposed fix (attempt 1 of 3)");
    expect(body).toContain("`src/sum.ts`\n\n```diff\ndiff --git a/src/sum.ts b/src/sum.ts");
    expect(body).toContain("-return a - b;\n+return a + b;");
    expect(body).not.toContain("<details>");
    expect(body).toContain("`0123456789ab`");
    expect(body).toContain("to a new branch `ci-medic/fix-1` and opens a pull request");
    // Model prose is inert: no mention, no hidden HTML comment.
    expect(body).toContain("@\u200balice");
    expect(body).not.toContain("<!--");
  });

  it("collapses a long file's diff under its name and puts the CI warning above every diff", () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join("");
    const after = before.replace("line 3\n", "line three\n").replace("line 20\n", "line twenty\n");
    const body = renderProposal(
      view({
        changes: [{ path: "Makefile", before, after }],
        ciFiles: [{ path: "Makefile", what: "build script or build configuration" }],
      }),
    )!;
    const warning = body.indexOf("**This change modifies files your CI executes:** `Makefile` (build script");
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(body.indexOf("<details><summary>`Makefile`"));
  });

  it("follow-ups name the fix branch, the earlier failure and the totals; auto-applied ones say so", () => {
    const body = renderProposal(
      view({
        attempt: 2,
        target: { kind: "fix-branch", branch: "ci-medic/fix-1" },
        previousFailure: "attempt 1 of 3 failed: `test`.",
        total: { files: 1, lines: 3 },
        autoApply: true,
      }),
    )!;
    expect(body).toContain("(attempt 2 of 3)");
    expect(body).toContain("attempt 1 of 3 failed: `test`.");
    expect(body).toContain("Over all attempts: 1 file, 3 lines changed.");
    expect(body).toContain("without a new approval, because this repository sets `fix.autoApplyFollowUps`");
  });

  it("a change too large to show whole cannot be shown (and so cannot be approved)", () => {
    // Too many characters in all, and one line longer than the sanitiser shows (it would be cut, not shown whole).
    const many = `${"x".repeat(99)}\n`.repeat(Math.ceil(MAX_PROPOSAL_CHARS / 100));
    expect(renderProposal(view({ changes: [{ path: "big.txt", before: null, after: many }] }))).toBeUndefined();
    const after = "x".repeat(MAX_PROPOSAL_CHARS / 2);
    expect(renderProposal(view({ changes: [{ path: "big.txt", before: null, after }] }))).toBeUndefined();
  });
});

describe("changes across attempts", () => {
  it("keeps each file's first before and last after, and counts the limits over the whole", () => {
    const second = { path: "src/sum.ts", before: small.after, after: "return a + b; // ok\n" };
    const other = { path: "src/other.ts", before: null, after: "export {};\n" };
    const total = cumulativeChanges([[small], [second, other]]);
    expect(total).toEqual([
      { path: "src/sum.ts", before: small.before, after: second.after },
      { path: "src/other.ts", before: null, after: other.after },
    ]);
    // Added bytes: "return a + b; // ok\n" (20) and "export {};\n" (11), line ends counted as validatePatch counts them.
    expect(changeSize(total)).toEqual({ files: 2, lines: 3, bytes: 31 });
    expect(cumulativeLimitReasons(total, { maxFiles: 1, maxChangedLines: 2, maxBytes: 30 })).toEqual([
      "Together with the earlier attempts the fix changes 2 files; this repository allows at most 1 (fix.maxFiles).",
      "Together with the earlier attempts the fix changes 3 lines; this repository allows at most 2 (fix.maxChangedLines).",
      "Together with the earlier attempts the fix adds 31 bytes; this repository allows at most 30 (fix.maxBytes).",
    ]);
    expect(cumulativeLimitReasons(total, { maxFiles: 2, maxChangedLines: 3, maxBytes: 31 })).toEqual([]);
  });

  it("a change undone by a later attempt counts for nothing; the hash changes with any byte", () => {
    const undo = { path: "src/sum.ts", before: small.after, after: small.before };
    expect(cumulativeChanges([[small], [undo]])).toEqual([]);
    expect(contentHash([small])).not.toBe(contentHash([{ ...small, after: `${small.after} ` }]));
  });
});
