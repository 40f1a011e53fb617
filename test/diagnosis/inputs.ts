// Small, real-looking evidence for the diagnosis tests (shapes as src/logs produces them).
import type { DiagnosisInput, JobEvidence } from "../../src/diagnosis/types.js";

export const TSC_EXCERPT = [
  "##[group]Run npm run build",
  "npm run build",
  "##[endgroup]",
  "> demo@1.0.0 build",
  "> tsc -p tsconfig.json",
  "src/server.ts(42,7): error TS2322: Type 'string' is not assignable to type 'number'.",
  "Error: Process completed with exit code 2.",
].join("\n");

export function tscJob(overrides: Partial<JobEvidence> = {}): JobEvidence {
  return {
    jobName: "build (20.x)",
    jobUrl: "https://github.com/acme/demo/actions/runs/123/job/456",
    failedSteps: ["Build"],
    failedCommand: "npm run build",
    excerpt: TSC_EXCERPT,
    annotations: [
      {
        path: "src/server.ts",
        startLine: 42,
        column: 7,
        level: "failure",
        title: "TS2322",
        message: "Type 'string' is not assignable to type 'number'.",
        tool: "tsc",
      },
    ],
    category: "compile",
    fingerprint: "a1b2c3d4e5f60718",
    truncated: false,
    ...overrides,
  };
}

export function input(overrides: Partial<DiagnosisInput> = {}): DiagnosisInput {
  return {
    repository: "acme/demo",
    workflowName: "CI",
    workflowFile:
      "name: CI\non: [push, pull_request]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n      - name: Build\n        run: npm run build\n",
    headBranch: "feature/port",
    headSha: "0123456789abcdef0123456789abcdef01234567",
    jobs: [tscJob()],
    ...overrides,
  };
}

export const GOOD_ANSWER = {
  summary: "TypeScript build fails: `port` is assigned a string in src/server.ts.",
  rootCause: "src/server.ts:42 assigns `process.env.PORT` (a string) to `port: number` (TS2322).",
  category: "compile",
  confidence: 0.85,
  suggestedFix: "Parse the value: `const port = Number(process.env.PORT ?? 3000);`",
  files: ["src/server.ts"],
};
