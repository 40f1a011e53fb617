import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseWith } from "../../../src/logs/annotations/engine.js";
import { createAnnotationParser, parseAnnotations } from "../../../src/logs/annotations/index.js";
import { normaliseLoose } from "../../../src/logs/annotations/paths.js";
import type { Annotation } from "../../../src/logs/types.js";

const dir = path.resolve(import.meta.dirname, "../../fixtures/toolchains");
const read = (name: string): string => readFileSync(path.join(dir, name), "utf8");

// Logs written in each tool's real format with runner paths (repository "octo/app", workspace /home/runner/work/app/app).
const runnerCases: Array<[string, Annotation[]]> = [
  [
    "actionlint.log",
    [
      { path: ".github/workflows/ci.yml", startLine: 12, column: 5, level: "failure", title: "syntax-check", message: "unexpected key \"run-on\" for \"job\" section. expected one of \"runs-on\", \"steps\" [syntax-check]", tool: "actionlint" },
      { path: ".github/workflows/release.yml", startLine: 30, column: 24, level: "failure", title: "expression", message: "property \"foo\" is not defined in object type {} [expression]", tool: "actionlint" },
    ],
  ],
  [
    "cargo.log",
    [
      { path: "src/main.rs", startLine: 12, column: 5, level: "failure", title: "E0308", message: "mismatched types", tool: "rustc" },
      { path: "src/lib.rs", startLine: 3, column: 9, level: "warning", title: "warning", message: "unused variable: `x`", tool: "rustc" },
    ],
  ],
  [
    "dotnet.log",
    [
      { path: "src/Api/Program.cs", startLine: 12, column: 5, level: "failure", title: "CS0103", message: "The name 'foo' does not exist in the current context", tool: "dotnet" },
      { path: "src/Api/Startup.cs", startLine: 30, column: 13, level: "warning", title: "CS0168", message: "The variable 'e' is declared but never used", tool: "dotnet" },
    ],
  ],
  [
    "esbuild.log",
    [
      { path: "src/app/cart/cart.component.ts", startLine: 42, column: 6, level: "failure", title: "TS2322", message: "Type 'string' is not assignable to type 'number'.", tool: "esbuild" },
      { path: "src/app/cart/cart.component.html", startLine: 13, column: 6, level: "failure", title: "NG8001", message: "'mat-tabs' is not a known element:", tool: "esbuild" },
      { path: "src/app/i18n.ts", startLine: 4, column: 21, level: "warning", title: "esbuild", message: "The glob pattern import(\"./locales/**/*.json\") did not match any files [empty-glob]", tool: "esbuild" },
    ],
  ],
  [
    "eslint-stylish.log",
    [
      { path: "src/api/client.js", startLine: 3, column: 10, level: "failure", title: "eslint(no-unused-vars)", message: "'unused' is defined but never used", tool: "eslint" },
      { path: "src/api/client.js", startLine: 18, column: 1, level: "warning", title: "eslint(no-console)", message: "Unexpected console statement", tool: "eslint" },
      { path: "src/index.ts", startLine: 7, column: 22, level: "failure", title: "eslint(@typescript-eslint/semi)", message: "Missing semicolon", tool: "eslint" },
    ],
  ],
  [
    "eslint-unix.log",
    [
      { path: "src/a.js", startLine: 12, column: 5, level: "failure", title: "eslint(no-undef)", message: "'x' is not defined.", tool: "eslint" },
      { path: "src/b.js", startLine: 3, column: 1, level: "warning", title: "eslint(no-var)", message: "Unexpected var, use let or const instead.", tool: "eslint" },
    ],
  ],
  [
    "gcc.log",
    [
      { path: "src/parser.c", startLine: 45, column: 12, level: "failure", title: "error", message: "'count' undeclared (first use in this function)", tool: "gcc" },
      { path: "src/parser.c", startLine: 45, column: 12, level: "notice", title: "note", message: "each undeclared identifier is reported only once for each function it appears in", tool: "gcc" },
      { path: "src/lexer.c", startLine: 10, column: 5, level: "warning", title: "-Wunused-variable", message: "unused variable 'tmp' [-Wunused-variable]", tool: "gcc" },
      { path: "src/main.c", startLine: 2, column: 10, level: "failure", title: "fatal error", message: "config.h: No such file or directory", tool: "gcc" },
    ],
  ],
  [
    "gha-commands.log",
    [
      { path: "src/app.ts", startLine: 10, endLine: 12, column: 15, level: "failure", title: "Build: failed", message: "Something went wrong\nsecond line 100%", tool: "gha-command" },
      { path: "src/util.ts", startLine: 4, level: "warning", title: "warning", message: "Deprecated API", tool: "gha-command" },
      { path: "docs/README.md", startLine: 1, level: "notice", title: "Note, important", message: "Looks fine", tool: "gha-command" },
      { path: "src/other.ts", startLine: 7, column: 2, level: "failure", title: "error", message: "Other failure", tool: "gha-command" },
      { path: "lib/x.js", startLine: 3, level: "failure", title: "error", message: "Absolute path", tool: "gha-command" },
    ],
  ],
  [
    "go.log",
    [
      { path: "internal/store/db.go", startLine: 42, column: 9, level: "failure", title: "error", message: "undefined: sqlx", tool: "go" },
      { path: "cmd/app/main.go", startLine: 15, column: 2, level: "failure", title: "error", message: "\"fmt\" imported and not used", tool: "go" },
      { path: "parse_test.go", startLine: 27, level: "failure", title: "TestParse", message: "expected 3 tokens, got 2", tool: "go test" },
    ],
  ],
  [
    "javac.log",
    [
      { path: "src/main/java/com/acme/App.java", startLine: 12, level: "failure", title: "error", message: "cannot find symbol", tool: "javac" },
    ],
  ],
  [
    "jest.log",
    [
      { path: "src/__tests__/cart.test.js", startLine: 13, column: 26, level: "failure", title: "Cart › computes the total", message: "expect(received).toBe(expected) // Object.is equality", tool: "jest" },
    ],
  ],
  [
    "kotlin.log",
    [
      { path: "app/src/main/kotlin/com/acme/Main.kt", startLine: 12, column: 5, level: "failure", title: "kotlinc", message: "Unresolved reference: foo", tool: "kotlinc" },
      { path: "app/src/main/kotlin/com/acme/Util.kt", startLine: 7, column: 13, level: "warning", title: "kotlinc", message: "Parameter 'x' is never used", tool: "kotlinc" },
      { path: "app/src/main/kotlin/com/acme/Util.kt", startLine: 20, column: 1, level: "failure", title: "kotlinc", message: "Expecting a top level declaration", tool: "kotlinc" },
    ],
  ],
  [
    "maven.log",
    [
      { path: "src/main/java/com/acme/App.java", startLine: 12, column: 5, level: "failure", title: "javac", message: "cannot find symbol", tool: "maven" },
      { path: "src/main/java/com/acme/Util.java", startLine: 30, column: 17, level: "warning", title: "javac", message: "unchecked conversion", tool: "maven" },
    ],
  ],
  [
    "mypy.log",
    [
      { path: "pkg/models.py", startLine: 12, level: "failure", title: "assignment", message: "Incompatible types in assignment (expression has type \"str\", variable has type \"int\")  [assignment]", tool: "mypy" },
      { path: "pkg/views.py", startLine: 30, column: 9, level: "failure", title: "union-attr", message: "Item \"None\" of \"Optional[User]\" has no attribute \"name\"  [union-attr]", tool: "mypy" },
      { path: "pkg/views.py", startLine: 31, level: "notice", title: "note", message: "See https://mypy.rtfd.io/en/stable/_refs.html#code-union-attr for more info", tool: "mypy" },
    ],
  ],
  [
    "node-stack.log",
    [
      { path: "scripts/build.js", startLine: 24, column: 18, level: "failure", title: "TypeError", message: "TypeError: Cannot read properties of undefined (reading 'map')", tool: "node" },
    ],
  ],
  [
    "python-traceback.log",
    [
      { path: "app/db.py", startLine: 12, level: "failure", title: "sqlite3.OperationalError", message: "sqlite3.OperationalError: no such table: users", tool: "python" },
    ],
  ],
  [
    "pytest.log",
    [
      { path: "tests/test_calc.py", startLine: 12, level: "failure", title: "test_divide", message: "assert 2.0 == 3\n+  where 2.0 = divide(6, 3)", tool: "pytest" },
    ],
  ],
  [
    "ruff.log",
    [
      { path: "app/main.py", startLine: 1, column: 8, level: "failure", title: "F401", message: "[*] `os` imported but unused", tool: "ruff" },
      { path: "app/main.py", startLine: 22, column: 89, level: "failure", title: "E501", message: "Line too long (104 > 88)", tool: "ruff" },
      { path: "app/util.py", startLine: 3, column: 1, level: "warning", title: "W291", message: "Trailing whitespace", tool: "ruff" },
    ],
  ],
  [
    "shellcheck-gcc.log",
    [
      { path: "scripts/deploy.sh", startLine: 12, column: 5, level: "warning", title: "SC2046", message: "Quote this to prevent word splitting. [SC2046]", tool: "shellcheck" },
      { path: "scripts/deploy.sh", startLine: 20, column: 9, level: "notice", title: "SC2086", message: "Double quote to prevent globbing and word splitting. [SC2086]", tool: "shellcheck" },
      { path: "scripts/deploy.sh", startLine: 3, column: 1, level: "failure", title: "SC1073", message: "Couldn't parse this function. [SC1073]", tool: "shellcheck" },
    ],
  ],
  [
    "shellcheck-tty.log",
    [
      { path: "scripts/release.sh", startLine: 12, column: 6, level: "notice", title: "SC2086", message: "Double quote to prevent globbing and word splitting.", tool: "shellcheck" },
      { path: "scripts/release.sh", startLine: 20, column: 1, level: "warning", title: "SC2164", message: "Use 'cd ... || exit' or 'cd ... || return' in case cd fails.", tool: "shellcheck" },
      { path: "scripts/release.sh", startLine: 20, column: 4, level: "notice", title: "SC2086", message: "Double quote to prevent globbing and word splitting.", tool: "shellcheck" },
    ],
  ],
  [
    "tsc.log",
    [
      { path: "src/server.ts", startLine: 12, column: 5, level: "failure", title: "TS2322", message: "Type 'string' is not assignable to type 'number'.", tool: "tsc" },
      { path: "src/lib/util.ts", startLine: 40, column: 17, level: "failure", title: "TS2304", message: "Cannot find name 'foo'.", tool: "tsc" },
      { path: "src/index.ts", startLine: 7, column: 1, level: "warning", title: "TS6133", message: "'y' is declared but its value is never read.", tool: "tsc" },
    ],
  ],
  [
    "vitest.log",
    [
      { path: "test/math.test.ts", startLine: 8, column: 19, level: "failure", title: "math > adds numbers", message: "AssertionError: expected 3 to be 4 // Object.is equality", tool: "vitest" },
    ],
  ],
];

// Verbatim reviewdog/errorformat outputs (MIT); their paths are from developers' machines, so these run with the
// lenient resolver the errorformat evaluation uses (strict resolution is covered in paths.test.ts).
const errorformatCases: Array<[string, Annotation[]]> = [
  [
    "errorformat-cargo-check.in",
    [
      { path: "src/main.rs", startLine: 3, column: 5, level: "warning", title: "warning", message: "unused import: `std::process`", tool: "rustc" },
      { path: "src/main.rs", startLine: 6, column: 5, level: "warning", title: "warning", message: "unused `std::result::Result` that must be used", tool: "rustc" },
    ],
  ],
  [
    "errorformat-dotnet.in",
    [
      { path: "C:/Users/kayoub5/Desktop/Technica/sharppcap/SharpPcap/Npcap/NpcapDevice.cs", startLine: 229, column: 30, level: "warning", title: "CS0618", message: "'SendQueue' is obsolete: 'Obsolete. Use LibPcap namespace instead.'", tool: "dotnet" },
      { path: "C:/Users/kayoub5/Desktop/Technica/sharppcap/SharpPcap/LibPcap/PcapUnmanagedStructures.cs", startLine: 75, column: 27, level: "warning", title: "CS0649", message: "Field 'PcapUnmanagedStructures.in_addr.s_addr' is never assigned to, and will always have its default value 0", tool: "dotnet" },
      { path: "C:/Users/kayoub5/Desktop/Technica/sharppcap/Examples/Example10.SendQueue/Example10.SendQueues.cs", startLine: 45, column: 30, level: "warning", title: "CS0618", message: "'SendQueue' is obsolete: 'Obsolete. Use LibPcap namespace instead.'", tool: "dotnet" },
    ],
  ],
  [
    "errorformat-eslint-compact.in",
    [
      { path: "/path/to/eslint.js", startLine: 2, column: 10, level: "failure", title: "eslint(no-unused-vars)", message: "'unusedf' is defined but never used.", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 2, column: 18, level: "failure", title: "eslint(no-unused-vars)", message: "'a' is defined but never used.", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 3, column: 3, level: "failure", title: "eslint(indent)", message: "Expected indentation of 4 spaces but found 2.", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 3, column: 7, level: "failure", title: "eslint(no-unused-vars)", message: "'x' is assigned a value but never used.", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 3, column: 11, level: "warning", title: "eslint(quotes)", message: "Strings must use singlequote.", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 6, column: 5, level: "failure", title: "eslint(no-unused-vars)", message: "'unusedvar' is assigned a value but never used.", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 6, column: 18, level: "failure", title: "eslint(semi)", message: "Missing semicolon.", tool: "eslint" },
    ],
  ],
  [
    "errorformat-eslint.in",
    [
      { path: "/path/to/eslint.js", startLine: 2, column: 10, level: "failure", title: "eslint(no-unused-vars)", message: "'unusedf' is defined but never used", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 2, column: 18, level: "failure", title: "eslint(no-unused-vars)", message: "'a' is defined but never used", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 3, column: 3, level: "failure", title: "eslint(indent)", message: "Expected indentation of 4 spaces but found 2", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 3, column: 7, level: "failure", title: "eslint(no-unused-vars)", message: "'x' is assigned a value but never used", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 3, column: 11, level: "warning", title: "eslint(quotes)", message: "Strings must use singlequote", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 6, column: 5, level: "failure", title: "eslint(no-unused-vars)", message: "'unusedvar' is assigned a value but never used", tool: "eslint" },
      { path: "/path/to/eslint.js", startLine: 6, column: 18, level: "failure", title: "eslint(semi)", message: "Missing semicolon", tool: "eslint" },
    ],
  ],
  [
    "errorformat-flake8.in",
    [
      { path: "num_guess.py", startLine: 4, column: 1, level: "failure", title: "F401", message: "'sys' imported but unused", tool: "ruff" },
      { path: "num_guess.py", startLine: 4, column: 11, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "num_guess.py", startLine: 5, column: 1, level: "failure", title: "F401", message: "'os' imported but unused", tool: "ruff" },
      { path: "num_guess.py", startLine: 5, column: 10, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "num_guess.py", startLine: 7, column: 1, level: "failure", title: "E266", message: "too many leading '#' for block comment", tool: "ruff" },
      { path: "num_guess.py", startLine: 9, column: 80, level: "failure", title: "E501", message: "line too long (82 > 79 characters)", tool: "ruff" },
      { path: "num_guess.py", startLine: 17, column: 77, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "num_guess.py", startLine: 17, column: 80, level: "failure", title: "E501", message: "line too long (118 > 79 characters)", tool: "ruff" },
      { path: "num_guess.py", startLine: 43, column: 1, level: "failure", title: "E402", message: "module level import not at top of file", tool: "ruff" },
      { path: "num_guess.py", startLine: 43, column: 1, level: "failure", title: "F401", message: "'itertools' imported but unused", tool: "ruff" },
      { path: "num_guess.py", startLine: 43, column: 17, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "num_guess.py", startLine: 43, column: 63, level: "warning", title: "W292", message: "no newline at end of file", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 3, column: 1, level: "failure", title: "F401", message: "'pwd' imported but unused", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 3, column: 11, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 4, column: 1, level: "failure", title: "F401", message: "'grp' imported but unused", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 4, column: 11, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 8, column: 1, level: "failure", title: "E266", message: "too many leading '#' for block comment", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 10, column: 80, level: "failure", title: "E501", message: "line too long (80 > 79 characters)", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 13, column: 1, level: "failure", title: "E302", message: "expected 2 blank lines, found 1", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 16, column: 1, level: "failure", title: "E302", message: "expected 2 blank lines, found 1", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 17, column: 36, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 17, column: 80, level: "failure", title: "E501", message: "line too long (100 > 79 characters)", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 23, column: 1, level: "failure", title: "E302", message: "expected 2 blank lines, found 1", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 36, column: 1, level: "failure", title: "E305", message: "expected 2 blank lines after class or function definition, found 1", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 37, column: 6, level: "failure", title: "E211", message: "whitespace before '('", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 38, column: 6, level: "failure", title: "E211", message: "whitespace before '('", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 40, column: 1, level: "failure", title: "E402", message: "module level import not at top of file", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 40, column: 1, level: "failure", title: "F401", message: "'dis' imported but unused", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 40, column: 11, level: "failure", title: "E261", message: "at least two spaces before inline comment", tool: "ruff" },
      { path: "subfolder/queen_problem.py", startLine: 40, column: 57, level: "warning", title: "W292", message: "no newline at end of file", tool: "ruff" },
      { path: "subfolder/syntax_error.py", startLine: 1, column: 4, level: "failure", title: "E999", message: "SyntaxError: invalid syntax", tool: "ruff" },
    ],
  ],
  [
    "errorformat-govet.in",
    [
      { path: "buildtag.go", startLine: 7, level: "failure", title: "error", message: "possible malformed +build comment", tool: "go" },
      { path: "buildtag.go", startLine: 12, level: "failure", title: "error", message: "+build comment must appear before package clause and be followed by a blank line", tool: "go" },
      { path: "assign.go", startLine: 15, level: "failure", title: "error", message: "self-assignment of x to x", tool: "go" },
      { path: "assign.go", startLine: 17, level: "failure", title: "error", message: "self-assignment of s.x to s.x", tool: "go" },
      { path: "atomic.go", startLine: 17, level: "failure", title: "error", message: "direct assignment to atomic value", tool: "go" },
      { path: "main.go", startLine: 7, column: 2, level: "failure", title: "error", message: "fmt.Printf format %s has arg x of wrong type int", tool: "go" },
    ],
  ],
  [
    "errorformat-mypy.in",
    [
      { path: "/path/to/my/file.py", startLine: 123, level: "failure", title: "error", message: "Error message!", tool: "mypy" },
      { path: "/path/to/another/file.py", startLine: 234, level: "warning", title: "warning", message: "Warning message with $ characters!", tool: "mypy" },
      { path: "/path/to/third/file.py", startLine: 1, level: "notice", title: "info", message: "Only nice to have", tool: "mypy" },
      { path: "file.py", startLine: 99999, level: "notice", title: "note", message: "A very long and elaborate error message with ! lot $ of % special characters äöüß...", tool: "mypy" },
    ],
  ],
  [
    "errorformat-tsc.in",
    [
      { path: "tsc.ts", startLine: 3, column: 13, level: "failure", title: "TS7006", message: "Parameter 'y' implicitly has an 'any' type.", tool: "tsc" },
      { path: "tsc.ts", startLine: 5, column: 12, level: "failure", title: "TS2345", message: "Argument of type 'boolean' is not assignable to parameter of type 'number | string'.", tool: "tsc" },
      { path: "tsc.ts", startLine: 11, column: 1, level: "failure", title: "TS2304", message: "Cannot find name 'error'.", tool: "tsc" },
    ],
  ],
];

describe("toolchain fixtures", () => {
  it.each(runnerCases)("%s", (name, expected) => {
    expect(parseAnnotations(read(name), { repository: "octo/app" })).toEqual(expected);
  });

  it.each(errorformatCases)("%s", (name, expected) => {
    expect(parseWith(normaliseLoose, read(name).split(/\r?\n/))).toEqual(expected);
  });

  it("gives the same result fed line by line through createAnnotationParser", () => {
    const parser = createAnnotationParser({ repository: "octo/app" });
    for (const line of read("cargo.log").split("\n")) parser.push(line);
    expect(parser.finish()).toEqual(runnerCases.find(([n]) => n === "cargo.log")?.[1]);
  });
});
