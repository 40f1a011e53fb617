import { describe, expect, it } from "vitest";
import { analyzeLog } from "../../src/logs/analyze.js";
import { classify } from "../../src/logs/classify.js";
import type { FailureCategory } from "../../src/logs/types.js";

const cases: [FailureCategory, string][] = [
  // Lines as the gha-logs set has them (real failed jobs of one npm/Angular project).
  ["git", "error: cannot pull with rebase: You have unstaged changes.\nerror: Please commit or stash them."],
  [
    "git",
    " ! [rejected]        main -> main (fetch first)\nerror: failed to push some refs to 'https://github.com/o/r'",
  ],
  ["git", "fatal: couldn't find remote ref feature/x"],
  [
    "tool-config",
    "Error: ESLint configuration in .eslintrc.js » plugin:sonarjs/recommended is invalid:\n\t- Unexpected top-level property",
  ],
  ["tool-config", 'Cannot find "lint" target for the specified project.'],
  ["tool-config", "##[error]Some specified paths were not resolved, unable to cache dependencies."],
  ["tool-config", 'npm error Missing script: "test:integration"'],
  [
    "compile",
    "✘ [ERROR] TS2307: Cannot find module './x' or its corresponding type declarations. [plugin angular-compiler]",
  ],
  ["compile", "./src/a.component.scss?ngResource - Error: Module build failed (from ./node_modules/sass-loader/x.js):"],
  ["runtime", "ReferenceError: alerts is not defined\n    at eval (eval at callAsyncFunction (/x/index.js:1:2))"],
  ["dependency", "sh: 1: husky: not found\nnpm error code 127"],
  ["dependency", "npm error notarget No matching version found for @eslint/config-array@^0.1.2."],
  ["network", "RequestError [HttpError]: API rate limit exceeded for installation."],
  [
    "timeout",
    "##[error]The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 360 minutes.",
  ],
  ["oom", "<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"],
  ["oom", "npm test\nKilled\n##[error]Process completed with exit code 137."],
  ["network", "npm ERR! code ECONNRESET\nnpm ERR! network aborted"],
  ["network", "fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com"],
  ["network", "Error: 503 Service Unavailable - GET https://registry.npmjs.org/left-pad"],
  ["dependency", "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree"],
  ["dependency", "ERROR: Could not find a version that satisfies the requirement torch==9.9"],
  ["permissions", "HttpError: Resource not accessible by integration"],
  [
    "permissions",
    "remote: Permission to o/r.git denied to github-actions[bot].\nfatal: unable to access: The requested URL returned error: 403",
  ],
  ["workflow-config", "Invalid workflow file: .github/workflows/ci.yml#L12\nUnrecognized named-value: 'secret'"],
  ["compile", "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'."],
  ["compile", "error[E0308]: mismatched types\n --> src/main.rs:4:18"],
  ["compile", "[ERROR] /w/src/main/java/A.java:[27,12] cannot find symbol"],
  [
    "lint",
    "/w/src/a.js\n  3:1  error  'x' is defined but never used  no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)",
  ],
  ["lint", "src/app.py:1:1: F401 [*] `os` imported but unused\nFound 1 error.\nruff check failed"],
  ["test", " FAIL  src/sum.test.ts > adds\nAssertionError: expected 3 to be 4\n Tests  1 failed | 4 passed (5)"],
  ["test", "--- FAIL: TestParse (0.00s)\n    parse_test.go:12: got 1 want 2\nFAIL"],
  ["test", "FAILED tests/test_api.py::test_health - assert 500 == 200"],
  ["unknown", "something odd happened\n##[error]Process completed with exit code 1."],
];

describe("what a script's source says", () => {
  it("is not evidence: the failed step's command block is left out before classifying", () => {
    const excerpt = [
      "##[group]Run node fetch.js",
      'console.warn("Rate limit exceeded, retrying");',
      "##[endgroup]",
      'Error [ERR_PACKAGE_PATH_NOT_EXPORTED]: No "exports" main defined in /x/node_modules/p/package.json',
    ].join("\n");
    expect(classify(excerpt)).toBe("dependency");
  });
});

describe("classify", () => {
  it.each(cases)("%s: %j", (category, text) => {
    expect(classify(text)).toBe(category);
  });

  it("lets runner-level signals win over the tool output they interrupted", () => {
    expect(
      classify(
        " FAIL  src/a.test.ts\nAssertionError: x\n##[error]The job running on runner R has exceeded the maximum execution time of 10 minutes.",
      ),
    ).toBe("timeout");
    expect(
      classify("error TS2322: bad\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
    ).toBe("oom");
  });

  it("uses the annotation tools when the text alone is not conclusive", () => {
    const ann = (tool: string) => [
      { path: "a.ts", startLine: 1, level: "failure" as const, title: "x", message: "y", tool },
    ];
    expect(classify("exit 1", ann("tsc"))).toBe("compile");
    expect(classify("exit 1", ann("eslint"))).toBe("lint");
    expect(classify("exit 1", ann("pytest"))).toBe("test");
  });

  it("classifies through analyzeLog", async () => {
    const r = await analyzeLog(
      [
        "##[group]Run npx tsc --noEmit",
        "npx tsc --noEmit",
        "##[endgroup]",
        "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
        "##[error]Process completed with exit code 2.",
      ].join("\n"),
    );
    expect(r.category).toBe("compile");
  });
});
