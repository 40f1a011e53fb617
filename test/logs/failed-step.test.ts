import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeLog } from "../../src/logs/analyze.js";
import type { StepInfo } from "../../src/logs/types.js";

const fixture = fs.readFileSync(path.join(import.meta.dirname, "../fixtures/logs/cidiff-75-gradle-checkstyle.log"));

const T = "2024-05-01T10:00:00.0000000Z ";
/** A three-step job: lint passes, test fails, a post step runs. */
const job = [
  "Current runner version: '2.316.0'",
  "##[group]Run npm run lint",
  "npm run lint",
  "shell: /usr/bin/bash -e {0}",
  "##[endgroup]",
  "> eslint .",
  "##[group]Run npm test -- --reporter=dot",
  "npm test -- --reporter=dot",
  "shell: /usr/bin/bash -e {0}",
  "env:",
  "  CI: true",
  "##[endgroup]",
  " FAIL  src/sum.test.ts > adds",
  "AssertionError: expected 3 to be 4",
  "##[error]Process completed with exit code 1.",
  "Post job cleanup.",
  "[command]/usr/bin/git version",
]
  .map((l) => T + l)
  .join("\n");

const steps = (failed: string): StepInfo[] => [
  { name: "Set up job", number: 1, conclusion: "success" },
  { name: "Lint", number: 2, conclusion: "success" },
  { name: failed, number: 3, conclusion: "failure" },
  { name: "Complete job", number: 4, conclusion: "success" },
];

describe("failed step", () => {
  it("takes the name from the jobs API and finds the step by its order of error exit", async () => {
    const r = await analyzeLog(job, { steps: steps("Unit tests") });
    expect(r.failedSteps).toEqual(["Unit tests"]);
    expect(r.failedCommand).toBe("npm test -- --reporter=dot");
    expect(r.excerpt).toContain("AssertionError: expected 3 to be 4");
  });

  it("matches an API step named after its command", async () => {
    const r = await analyzeLog(job, { steps: steps("Run npm run lint") });
    expect(r.failedSteps).toEqual(["Run npm run lint"]);
    expect(r.failedCommand).toBe("npm run lint");
  });

  it("finds the failed step from the log's structure alone", async () => {
    const r = await analyzeLog(job);
    expect(r.failedSteps).toEqual(["Run npm test -- --reporter=dot"]);
    expect(r.failedCommand).toBe("npm test -- --reporter=dot");
  });

  it("reads a real raw log (CRLF, ANSI, timestamps) and keeps the Gradle failure", async () => {
    const r = await analyzeLog(fixture);
    expect(r.failedSteps).toEqual(["Run ./gradlew build"]);
    expect(r.failedCommand).toBe("./gradlew build");
    expect(r.excerpt).toContain("Execution failed for task ':cidiff:checkstyleMain'.");
    expect(r.excerpt).toContain("##[error]Process completed with exit code 1.");
    expect(r.excerpt).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z /);
    expect(r.excerpt).not.toContain("\x1b");
    expect(r.excerpt).not.toContain("\r");
    expect(r.lineCount).toBe(89);
  });
});
