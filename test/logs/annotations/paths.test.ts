import { describe, expect, it } from "vitest";
import { normaliseLoose, toRepoPath } from "../../../src/logs/annotations/paths.js";

describe("toRepoPath", () => {
  it.each([
    ["/home/runner/work/app/app/src/a.ts", "src/a.ts"],
    ["/__w/app/app/src/a.ts", "src/a.ts"],
    ["D:\\a\\app\\app\\src\\A.cs", "src/A.cs"],
    ["file:///home/runner/work/app/app/src/Main.kt", "src/Main.kt"],
    ["file:///D:/a/app/app/src/Main.kt", "src/Main.kt"],
    ["/opt/actions-runner/_work/app/app/lib/x.js", "lib/x.js"],
    ["./src/a.go", "src/a.go"],
    ["src\\win\\b.cs", "src/win/b.cs"],
    ["src/a/../b/c.ts", "src/b/c.ts"],
    ["a.py", "a.py"],
  ])("%s -> %s (repository known)", (raw, expected) => {
    expect(toRepoPath(raw, { repository: "octo/app" })).toBe(expected);
  });

  it("recognises the work/X/X/ shape without a repository", () => {
    expect(toRepoPath("/home/runner/work/other/other/src/a.ts")).toBe("src/a.ts");
    expect(toRepoPath("/__w/x/x/a.c")).toBe("a.c");
  });

  it("refuses a workspace of another repository when the repository is known", () => {
    expect(toRepoPath("/home/runner/work/other/other/src/a.ts", { repository: "octo/app" })).toBeNull();
  });

  it.each([
    "/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h",
    "/opt/hostedtoolcache/Python/3.12.1/x64/lib/python3.12/site-packages/requests/api.py",
    "C:\\Program Files\\dotnet\\sdk\\8.0.100\\Microsoft.Common.targets",
    "/home/user/project/src/a.ts",
    "/home/runner/work/app/app/node_modules/pkg/index.js",
    "node_modules/.pnpm/pkg@1.0.0/node_modules/pkg/a.js",
    "packages/web/node_modules/x/y.js",
    "../outside/a.ts",
    "src/../../etc/passwd",
    "/home/runner/work/app/app/../secret.txt",
    "node:internal/modules/cjs/loader",
    "https://example.com/a.js",
    "<anonymous>",
    "",
  ])("drops %s", (raw) => {
    expect(toRepoPath(raw, { repository: "octo/app" })).toBeNull();
  });
});

describe("normaliseLoose", () => {
  it("keeps absolute paths and unifies separators", () => {
    expect(normaliseLoose("C:\\Users\\me\\a\\.\\b.cs")).toBe("C:/Users/me/a/b.cs");
    expect(normaliseLoose("/path/to/../x.js")).toBe("/path/x.js");
    expect(normaliseLoose("./a.go")).toBe("a.go");
  });
});
