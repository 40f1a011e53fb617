import { describe, expect, it } from "vitest";
import { matchesGlob, shouldWatch } from "../../src/config/match.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../../src/config/schema.js";

describe("matchesGlob", () => {
  it.each([
    ["main", "main", true],
    ["main", "mai", false],
    ["release/1.2", "release/*", true],
    ["release/1.2/hotfix", "release/*", false],
    ["release/1.2/hotfix", "release/**", true],
    ["feature/x", "*", false],
    ["feature/x", "**", true],
    ["", "**", true],
    ["v1", "v?", true],
    ["v10", "v?", false],
    ["a/b", "a/**/b", true],
    ["a/x/y/b", "a/**/b", true],
    ["ci.yml", "ci.yml", true],
    ["ciXyml", "ci.yml", false],
    ["deps (1)", "deps (1)", true],
    ["a+b", "a+b", true],
    ["[x]", "[x]", true],
  ])("%j against %j → %s", (value, glob, expected) => {
    expect(matchesGlob(value, glob)).toBe(expected);
  });
});

describe("matchesGlob on adversarial input", () => {
  it("matches `*a…a*b` against a long name in linear time", () => {
    const glob = `${"*a".repeat(30)}*b`;
    const name = "a".repeat(20_000);
    const started = performance.now();
    expect(matchesGlob(name, glob)).toBe(false);
    expect(matchesGlob(`${name}b`, glob)).toBe(true);
    expect(matchesGlob(`${"a/".repeat(5_000)}c`, `${"**/a/".repeat(20)}**b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("keeps the edge cases of `**/`, `?` and stars", () => {
    expect(matchesGlob("a/b", "a/**/b")).toBe(true);
    expect(matchesGlob("ab", "a/**/b")).toBe(false);
    expect(matchesGlob("a/xb", "a/**/b")).toBe(false);
    expect(matchesGlob("x/y/z.ts", "**/*.ts")).toBe(true);
    expect(matchesGlob("z.ts", "**/*.ts")).toBe(true);
    expect(matchesGlob("release/1/2", "release/*/?")).toBe(true);
    expect(matchesGlob("release/1/", "release/*/?")).toBe(false);
    expect(matchesGlob("abc", "a**")).toBe(true);
    expect(matchesGlob("a/b", "a*")).toBe(false);
  });
});

function config(patch: { workflows?: Partial<RepoConfig["workflows"]>; branches?: Partial<RepoConfig["branches"]> }) {
  return {
    workflows: { ...DEFAULT_CONFIG.workflows, ...patch.workflows },
    branches: { ...DEFAULT_CONFIG.branches, ...patch.branches },
  };
}

const ci = { workflowName: "CI / build", workflowPath: ".github/workflows/ci.yml", branch: "feature/login" };

describe("shouldWatch", () => {
  it("watches every workflow and branch by default, including branch names with slashes", () => {
    expect(shouldWatch(DEFAULT_CONFIG, ci)).toEqual({ watch: true });
  });

  it("matches workflows by name, by file path and by file name", () => {
    expect(shouldWatch(config({ workflows: { include: ["CI / *"] } }), ci).watch).toBe(true);
    expect(shouldWatch(config({ workflows: { include: [".github/workflows/ci.yml"] } }), ci).watch).toBe(true);
    expect(shouldWatch(config({ workflows: { include: ["ci.yml"] } }), ci).watch).toBe(true);
    expect(shouldWatch(config({ workflows: { include: ["release.yml", "Deploy"] } }), ci)).toEqual({
      watch: false,
      reason: 'workflow "CI / build" (.github/workflows/ci.yml) matches no pattern in workflows.include',
    });
  });

  it("lets exclude win over include", () => {
    expect(shouldWatch(config({ workflows: { exclude: ["ci.*"] } }), ci)).toEqual({
      watch: false,
      reason: 'workflow "CI / build" (.github/workflows/ci.yml) matches workflows.exclude pattern "ci.*"',
    });
    expect(shouldWatch(config({ branches: { include: ["feature/**"], exclude: ["feature/login"] } }), ci)).toEqual({
      watch: false,
      reason: 'branch "feature/login" matches branches.exclude pattern "feature/login"',
    });
  });

  it("filters branches", () => {
    expect(shouldWatch(config({ branches: { include: ["main", "release/*"] } }), ci)).toEqual({
      watch: false,
      reason: 'branch "feature/login" matches no pattern in branches.include',
    });
    expect(
      shouldWatch(config({ branches: { include: ["main", "release/*"] } }), { ...ci, branch: "release/2.0" }).watch,
    ).toBe(true);
  });

  it("works without a workflow path", () => {
    expect(shouldWatch(config({ workflows: { include: ["ci.yml"] } }), { workflowName: "CI", branch: "main" })).toEqual(
      {
        watch: false,
        reason: 'workflow "CI" matches no pattern in workflows.include',
      },
    );
  });
});
