import { describe, expect, it } from "vitest";
import { createAnnotationParser, parseAnnotations } from "../../../src/logs/annotations/index.js";
import { MAX_ANNOTATIONS, MAX_MESSAGE_CHARS } from "../../../src/logs/annotations/sink.js";

describe("workflow commands", () => {
  it("decodes %-escaped properties and data", () => {
    const [a] = parseAnnotations(
      "::error file=src/a%2Cb.ts,line=3,col=4,endLine=5,title=T%3A x %25::50%25 done%0Dok%0Anext",
    );
    expect(a).toEqual({
      path: "src/a,b.ts",
      startLine: 3,
      endLine: 5,
      column: 4,
      level: "failure",
      title: "T: x %",
      message: "50% done\nok\nnext",
      tool: "gha-command",
    });
  });

  it("maps ::notice and ##[warning] levels and ignores commands without a file", () => {
    const out = parseAnnotations(
      ["::notice file=a.md,line=1::n", "##[warning file=b.ts,line=2]w", "::error::no file", "::group::x"].join("\n"),
    );
    expect(out.map((a) => [a.path, a.level, a.message])).toEqual([
      ["a.md", "notice", "n"],
      ["b.ts", "warning", "w"],
    ]);
  });
});

describe("problem-matcher cases (actions/setup-node, setup-dotnet tests)", () => {
  it.each([
    [
      "lib/index.js:23:42 - error TS2345: Argument of type 'A' is not assignable to parameter of type 'B'.",
      "lib/index.js",
      23,
      42,
      "TS2345",
    ],
    [
      "lib/index.js(23,42): error TS2345: Argument of type 'A' is not assignable to parameter of type 'B'.",
      "lib/index.js",
      23,
      42,
      "TS2345",
    ],
    ["Program.cs(10,79): error CS1002: ; expected [/Users/z/repo/sample.csproj]", "Program.cs", 10, 79, "CS1002"],
    [
      "    20>src/SomeFile.cs(8,2): error CS1014: A get or set accessor expected [C:\\r\\SomeProject.csproj]",
      "src/SomeFile.cs",
      8,
      2,
      "CS1014",
    ],
  ])("%s", (line, path, startLine, column, title) => {
    expect(parseAnnotations(line)).toMatchObject([{ path, startLine, column, title, level: "failure" }]);
  });
});

describe("dedupe and ordering", () => {
  it("merges the same path/line/column/title, keeping the longest message, in first-seen order", () => {
    const log = [
      "src/b.ts(2,1): error TS1005: ';' expected.",
      "src/a.ts(1,1): error TS2304: Cannot find name 'x'.",
      "src/b.ts(2,1): error TS1005: ';' expected, and more detail here.",
      "src/a.ts(1,2): error TS2304: Cannot find name 'x'.",
    ].join("\n");
    expect(parseAnnotations(log).map((a) => [a.path, a.startLine, a.column, a.message])).toEqual([
      ["src/b.ts", 2, 1, "';' expected, and more detail here."],
      ["src/a.ts", 1, 1, "Cannot find name 'x'."],
      ["src/a.ts", 1, 2, "Cannot find name 'x'."],
    ]);
  });
});

describe("bounds", () => {
  it("caps the number of annotations but still merges duplicates of kept ones", () => {
    const parser = createAnnotationParser();
    for (let i = 1; i <= MAX_ANNOTATIONS + 200; i++) parser.push(`src/a.c:${i}:1: error: e${i}`);
    parser.push("src/a.c:1:1: error: e1 with a longer message");
    const out = parser.finish();
    expect(out).toHaveLength(MAX_ANNOTATIONS);
    expect(out[0]?.message).toBe("e1 with a longer message");
    expect(out[MAX_ANNOTATIONS - 1]?.startLine).toBe(MAX_ANNOTATIONS);
  });

  it("caps message length", () => {
    const [a] = parseAnnotations(`src/a.py:1:1: E501 ${"x".repeat(5000)}`);
    expect(a?.message.length).toBe(MAX_MESSAGE_CHARS);
    expect(a?.message.endsWith("…")).toBe(true);
  });

  it("forgets a stylish eslint file header after a blank line", () => {
    expect(parseAnnotations("src/a.js\n\n  1:1  error  x  semi")).toEqual([]);
  });

  it("forgets a rustc header that is not followed by its location", () => {
    const log = ["error: could not compile `app`", "a", "b", "c", "  --> src/main.rs:1:1"].join("\n");
    expect(parseAnnotations(log)).toEqual([]);
  });
});

describe("no annotations from ordinary log lines", () => {
  it.each([
    "12:34:56 Starting build",
    "Downloading https://registry.npmjs.org/x/-/x-1.0.0.tgz:443: ok",
    "Error: Process completed with exit code 1.",
    "npm ERR! code ELIFECYCLE",
    "  at processTicksAndRejections (node:internal/process/task_queues:95:5)",
    "warning: unused manifest key: package.foo",
    "Run actions/checkout@v4",
    "make: *** [Makefile:12: build/parser.o] Error 1",
  ])("%s", (line) => {
    expect(parseAnnotations(line, { repository: "octo/app" })).toEqual([]);
  });
});

describe("stack traces", () => {
  it("annotates only the first in-repo frame after an error line", () => {
    const log = [
      "Error: boom",
      "    at helper (/home/runner/work/app/app/node_modules/lib/x.js:1:1)",
      "    at run (/home/runner/work/app/app/src/run.js:10:3)",
      "    at main (/home/runner/work/app/app/src/main.js:2:1)",
    ].join("\n");
    expect(parseAnnotations(log, { repository: "octo/app" })).toEqual([
      {
        path: "src/run.js",
        startLine: 10,
        column: 3,
        level: "failure",
        title: "Error",
        message: "Error: boom",
        tool: "node",
      },
    ]);
  });

  it("ignores frames without a preceding failure context", () => {
    expect(
      parseAnnotations("    at run (/home/runner/work/app/app/src/run.js:10:3)", { repository: "octo/app" }),
    ).toEqual([]);
  });
});

describe("test runners", () => {
  it("does not annotate jest console output frames", () => {
    const log = [
      "  ● Console",
      "",
      "    console.log",
      "      hello",
      "",
      "      at Object.log (src/setup.js:3:11)",
    ].join("\n");
    expect(parseAnnotations(log)).toEqual([]);
  });

  it("names a go test failure after its --- FAIL line and forgets it after the package result", () => {
    const log = [
      "--- FAIL: TestA (0.00s)",
      "    a_test.go:5: bad",
      "FAIL\tex.com/p\t0.01s",
      "./b.go:3:1: undefined: y",
    ].join("\n");
    expect(parseAnnotations(log).map((a) => [a.path, a.title, a.tool])).toEqual([
      ["a_test.go", "TestA", "go test"],
      ["b.go", "error", "go"],
    ]);
  });

  it("fills a pytest message from the short summary when the traceback had no E lines", () => {
    const log = [
      "_____ TestCalc.test_add _____",
      "tests/test_calc.py:7: Failed",
      "FAILED tests/test_calc.py::TestCalc::test_add - Failed: add returned the wrong total",
    ].join("\n");
    expect(parseAnnotations(log)).toEqual([
      {
        path: "tests/test_calc.py",
        startLine: 7,
        level: "failure",
        title: "test_add",
        message: "Failed: add returned the wrong total",
        tool: "pytest",
      },
    ]);
  });
});

describe("##[error]-wrapped tool output", () => {
  it("parses the tool line GitHub wrapped, still refusing paths that escape the workspace", () => {
    const log = [
      "##[error]src/main.go:12:5: undefined: x",
      "##[error]../../../go/pkg/mod/k8s.io/client-go@v0.23.4/kubernetes/scheme/register.go:22:2: k8s.io/api@v0.23.4: Get failed",
      "##[error]Process completed with exit code 1.",
    ].join("\n");
    expect(parseAnnotations(log)).toEqual([
      {
        path: "src/main.go",
        startLine: 12,
        column: 5,
        level: "failure",
        title: "error",
        message: "undefined: x",
        tool: "go",
      },
    ]);
  });
});

describe("runner path prefixes through the parsers", () => {
  it("strips Linux, container, Windows and file:// workspace prefixes and drops outside paths", () => {
    const log = [
      "/home/runner/work/app/app/src/a.c:1:2: error: one",
      "/__w/app/app/src/b.c:3:4: warning: two",
      "D:\\a\\app\\app\\src\\C.cs(5,6): error CS0103: three [D:\\a\\app\\app\\C.csproj]",
      "e: file:///home/runner/work/app/app/src/D.kt:7:8 four",
      "/usr/include/stdio.h:9:1: note: five",
      "C:\\Program Files\\dotnet\\sdk\\Microsoft.targets(10,5): warning MSB3277: six",
      "/home/runner/work/app/app/node_modules/x/y.ts(11,1): error TS2307: seven",
    ].join("\n");
    expect(
      parseAnnotations(log, { repository: "octo/app" }).map((a) => `${a.path}:${a.startLine}:${a.column}`),
    ).toEqual(["src/a.c:1:2", "src/b.c:3:4", "src/C.cs:5:6", "src/D.kt:7:8"]);
  });
});

describe("cap priorities", () => {
  it("lets failures replace the latest warnings once the cap is reached, never the reverse", () => {
    const parser = createAnnotationParser();
    for (let i = 1; i <= MAX_ANNOTATIONS; i++) parser.push(`src/a.c:${i}:1: warning: w${i}`);
    parser.push("src/b.c:1:1: error: real failure");
    parser.push("src/c.c:1:1: warning: one warning too many");
    const out = parser.finish();
    expect(out).toHaveLength(MAX_ANNOTATIONS);
    expect(out[MAX_ANNOTATIONS - 1]).toMatchObject({ path: "src/b.c", level: "failure" });
    expect(out[MAX_ANNOTATIONS - 2]).toMatchObject({ path: "src/a.c", startLine: MAX_ANNOTATIONS - 1 });
    expect(out.some((a) => a.path === "src/c.c")).toBe(false);
  });
});

describe("esbuild headers with a one-word title", () => {
  it("takes the explanation from the next line", () => {
    const log = [
      "▲ [WARNING] Deprecation [plugin angular-sass]",
      "",
      "    src/app/x.scss:8:0:",
      "      8 │ @import 'y';",
    ].join("\n");
    const log2 = [
      "▲ [WARNING] Deprecation [plugin angular-sass]",
      "    Sass @import rules are deprecated.",
      "",
      "    src/app/x.scss:8:1:",
    ].join("\n");
    expect(parseAnnotations(log)[0]).toMatchObject({
      path: "src/app/x.scss",
      startLine: 8,
      message: "Deprecation",
      level: "warning",
    });
    expect(parseAnnotations(log2)[0]?.message).toBe("Deprecation: Sass @import rules are deprecated.");
  });
});

describe("located messages behind a tool's label", () => {
  it("annotates tsc's pretty output behind Angular's `Error: ` and webpack's `ERROR in `", () => {
    const anns = parseAnnotations(
      [
        "Error: src/app/app.component.spec.ts:72:53 - error TS2345: Argument of type 'X' is not assignable.",
        "ERROR in src/app/a.ts:3:1 - error TS2322: Type 'string' is not assignable to type 'number'.",
        "Error: something failed without a location",
      ].join("\n"),
    );
    expect(anns.map((a) => [a.path, a.startLine, a.column, a.level, a.title, a.tool])).toEqual([
      ["src/app/app.component.spec.ts", 72, 53, "failure", "TS2345", "tsc"],
      ["src/app/a.ts", 3, 1, "failure", "TS2322", "tsc"],
    ]);
  });
});
