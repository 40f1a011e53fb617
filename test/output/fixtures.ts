import type { JobEvidence } from "../../src/diagnosis/types.js";
import type { DiagnosisView } from "../../src/output/view.js";

export function evidence(over: Partial<JobEvidence> = {}): JobEvidence {
  return {
    jobName: "test (ubuntu-latest, 20)",
    jobUrl: "https://github.com/Codertocat/Hello-World/actions/runs/30433642/job/2",
    failedSteps: ["Run npm test"],
    failedCommand: "npm test",
    excerpt: " FAIL  src/sum.test.ts > adds\nAssertionError: expected 3 to be 4\n ❯ src/sum.test.ts:5:17",
    annotations: [
      {
        path: "src/sum.test.ts",
        startLine: 5,
        column: 17,
        level: "failure",
        title: "vitest",
        message: "expected 3 to be 4",
        tool: "vitest",
      },
    ],
    category: "test",
    fingerprint: "a1b2c3",
    truncated: false,
    ...over,
  };
}

export function view(over: Partial<DiagnosisView> = {}): DiagnosisView {
  return {
    marker: "<!-- ci-medic:diagnosis:161335 -->",
    run: {
      workflowName: "CI",
      runUrl: "https://github.com/Codertocat/Hello-World/actions/runs/30433642",
      attempt: 2,
      headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      headBranch: "feature/sum",
    },
    jobs: [evidence()],
    diagnosis: {
      summary: "1 failing test in src/sum.test.ts",
      rootCause: "`sum(1, 2)` returns 3 but the test expects 4.",
      category: "test",
      confidence: 0.72,
      suggestedFix: "Fix the expectation in `src/sum.test.ts` line 5.",
      files: ["src/sum.test.ts"],
      source: "llm",
      model: "gemini-2.5-flash",
    },
    minConfidence: 0.6,
    ...over,
  };
}
