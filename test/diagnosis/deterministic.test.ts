import { describe, expect, it } from "vitest";
import { deterministicDiagnosis } from "../../src/diagnosis/deterministic.js";
import { input, tscJob } from "./inputs.js";

describe("deterministicDiagnosis", () => {
  it("summarises from the category, the first annotation, the command and the last error lines", () => {
    const d = deterministicDiagnosis(input(), "LLM error: gemini: [503] overloaded");
    expect(d).toEqual({
      summary:
        "`build (20.x)` (step `Build`) failed with a compilation error: src/server.ts:42 TS2322 Type 'string' is not assignable to type 'number'.",
      rootCause: [
        "1 error located in the repository; the first:",
        "- `src/server.ts:42` TS2322: Type 'string' is not assignable to type 'number'.",
        "Failing command: `npm run build`",
        "Last error lines of the log:",
        "```",
        "src/server.ts(42,7): error TS2322: Type 'string' is not assignable to type 'number'.",
        "Error: Process completed with exit code 2.",
        "```",
      ].join("\n"),
      category: "compile",
      confidence: 0.3,
      suggestedFix:
        "Fix the compiler errors listed above; they point at the exact files and lines. Reproduce locally with `npm run build`.",
      files: ["src/server.ts"],
      source: "deterministic",
      fallbackReason: "LLM error: gemini: [503] overloaded",
    });
  });

  it("stays honest with no annotations and an unknown category, and neutralises mentions from the log", () => {
    const job = tscJob({
      annotations: [],
      category: "unknown",
      failedCommand: undefined,
      excerpt: "cc @octocat\nsomething failed <!-- x -->",
    });
    const d = deterministicDiagnosis(input({ jobs: [job] }));
    expect(d.confidence).toBe(0.1);
    expect(d.category).toBe("unknown");
    expect(d.files).toEqual([]);
    expect(d.rootCause).toContain("something failed");
    expect(d.rootCause).not.toContain("<!--");
    expect(d.fallbackReason).toBeUndefined();
    const m = deterministicDiagnosis(input({ jobs: [tscJob({ excerpt: "error: blame @octocat" })] }));
    expect(m.rootCause).toContain("@\u200boctocat");
  });

  it("never stores a secret that reaches it in the evidence", () => {
    const token = `ghp_${"a1B2c3".repeat(6)}`;
    const d = deterministicDiagnosis(input({ jobs: [tscJob({ failedCommand: `deploy --token ${token}` })] }));
    expect(JSON.stringify(d)).not.toContain(token);
  });

  it("handles a run with no job evidence", () => {
    const d = deterministicDiagnosis(input({ jobs: [] }), "no LLM configured");
    expect(d).toMatchObject({
      summary: "The run failed with an error that could not be classified.",
      category: "unknown",
      confidence: 0.1,
      files: [],
    });
  });
});
