import { describe, expect, it } from "vitest";
import { ciExecutedFiles } from "../../src/fix/ci-executed.js";

describe("ciExecutedFiles", () => {
  it.each([
    ["conftest.py", "test set-up or test runner configuration"],
    ["tests/conftest.py", "test set-up or test runner configuration"],
    ["vitest.config.ts", "test set-up or test runner configuration"],
    ["build.rs", "build script or build configuration"],
    ["src/Directory.Build.props", "build script or build configuration"],
    ["Makefile", "build script or build configuration"],
    ["package.json", "package manifest or lockfile"],
    ["pnpm-lock.yaml", "package manifest or lockfile"],
    ["scripts/ci-check.sh", "script a workflow may call"],
    ["tools/lint.py", "script a workflow may call"],
    ["actions/setup/action.yml", "local action"],
  ])("names %s as a %s", (path, what) => {
    expect(ciExecutedFiles([path])).toEqual([{ path, what }]);
  });

  it("leaves ordinary source and test files alone", () => {
    expect(ciExecutedFiles(["src/sum.ts", "src/sum.test.ts", "README.md", "lib/parser.py"])).toEqual([]);
  });
});
