import { describe, expect, it } from "vitest";
import { type PatchLimits, type ProposedEdit, validatePatch } from "../../src/fix/validate-patch.js";

// The safety rules on a proposal's shape and content: cheap limits first, bytes as well as lines, characters that hide
// what code does, paths that are not what they look like, secrets in any shape the redactor knows, and test weakening
// beyond `.skip`.

const limits: PatchLimits = {
  maxFiles: 5,
  maxChangedLines: 200,
  deniedPaths: [],
  allowTestEdits: false,
  testsAreWrong: false,
};

const files = new Map<string, string>([
  ["src/sum.ts", "export function sum(a: number, b: number) {\n  return a - b;\n}\n"],
  [
    "test/sum.test.ts",
    'import { expect, it } from "vitest";\nimport { sum } from "../src/sum.js";\n\nit("adds", () => {\n  expect(sum(1, 2)).toBe(3);\n});\n',
  ],
  ["tests/test_sum.py", "import pytest\n\ndef test_sum():\n    assert sum([1, 2]) == 3\n"],
  [
    "Calc.Tests/SumTests.cs",
    "public class SumTests {\n  [Fact]\n  public void Adds() { Assert.Equal(3, 1 + 2); }\n}\n",
  ],
  ["src/lib.rs", "#[test]\nfn adds() {\n    assert_eq!(1 + 2, 3);\n}\n"],
  ["package.json", `${JSON.stringify({ name: "w", scripts: { test: "vitest run" } }, null, 2)}\n`],
  ["vitest.config.ts", 'export default { test: { include: ["test/**/*.test.ts"] } };\n'],
  ["pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-q"\n'],
]);

function reasons(edits: ProposedEdit[], l: Partial<PatchLimits> = {}): string[] {
  const verdict = validatePatch({ edits, explanation: "why", testsAreWrong: false }, files, { ...limits, ...l });
  return verdict.ok ? [] : verdict.reasons;
}

describe("no super-linear work", () => {
  it("refuses twenty one-line edits of 'curl '×9,990 at once, before any regex runs", () => {
    const line = "curl ".repeat(9_990);
    const edits = Array.from({ length: 20 }, (_, i) => ({ path: `scripts/s${i % 5}.sh`, content: line }));
    const started = performance.now();
    const out = reasons(edits);
    expect(performance.now() - started).toBeLessThan(200);
    expect(out).toEqual([
      "An edit to scripts/s0.sh adds a line of 49950 characters; ci-medic accepts lines of at most 1000.",
    ]);
  });

  it("stays fast on the longest lines it accepts", () => {
    const line = "curl ".repeat(199);
    const edits = Array.from({ length: 5 }, (_, i) => ({
      path: `scripts/s${i}.sh`,
      content: Array.from({ length: 6 }, () => line).join("\n"),
    }));
    const started = performance.now();
    reasons(edits, { maxBytes: 1_000_000 });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("refuses more files than allowed before reading any content", () => {
    const edits = Array.from({ length: 7 }, (_, i) => ({ path: `src/f${i}.ts`, content: "x\n" }));
    expect(reasons(edits)).toEqual(["The fix changes 7 files; this repository allows at most 5 (fix.maxFiles)."]);
  });
});

describe("fix.maxBytes", () => {
  it("counts bytes: one 49,000-character line is not 'one changed line'", () => {
    const out = reasons([{ path: "src/data.ts", content: `export const x = "${"é".repeat(900)}";\n` }], {
      maxBytes: 1_000,
    });
    expect(out).toEqual(["The fix adds 1821 bytes; this repository allows at most 1000 (fix.maxBytes)."]);
  });
});

describe("content rules", () => {
  it.each([
    ["ANSI escape sequences", "const s = '\u001b[2K\u001b[1Ahidden';\n"],
    ["control characters", "const s = 'a\u0008b';\n"],
    [
      "bidirectional override characters (Trojan Source)",
      "const isAdmin = false; /* \u202e } \u2066if (isAdmin)\u2069 \u2066 begin admins only */\n",
    ],
    ["unpaired surrogate code units", "const s = '\ud800x';\n"],
    // The shown diff would break this line in two; YAML and shells run the second half.
    ["carriage returns outside CRLF line ends, or byte order marks", "run: make test\r  run: rm -rf build\n"],
    ["carriage returns outside CRLF line ends, or byte order marks", "\ufeffexport const a = 1;\n"],
  ])("refuses %s in added text", (what, content) => {
    expect(reasons([{ path: "src/new.ts", content }])).toEqual([
      `The change to src/new.ts adds ${what}; ci-medic does not write them.`,
    ]);
  });

  it("accepts CRLF line ends", () => {
    expect(reasons([{ path: "src/new.ts", content: "export const a = 1;\r\nexport const b = 2;\r\n" }])).toEqual([]);
  });

  it.each([
    ["src/p\u0430ckage.ts", "mixes ASCII letters with look-alike letters from another script"],
    ["src/\uff53um.ts", "contains characters that look like other characters (compatibility forms)"],
    ["src/su\u200bm.ts", "contains invisible or zero-width characters"],
    ["src/sum.ts.", "has a segment ending in a dot or a space"],
    ["src /sum.ts", "has a segment ending in a dot or a space"],
    ["src/%2e%2e/sum.ts", "contains percent-encoding"],
  ])("refuses the path %j", (path, problem) => {
    expect(reasons([{ path, content: "x\n" }])).toEqual([
      `The path ${JSON.stringify(path)} ${problem}; ci-medic does not write such paths.`,
    ]);
  });

  it("accepts non-Latin file names that do not pose as ASCII", () => {
    expect(reasons([{ path: "docs/\u6587\u6863.md", content: "x\n" }])).toEqual([]);
  });

  it.each([
    ".env",
    "config/.env.production",
    "deploy/server.pem",
    "certs/tls.key",
    "home/.ssh/id_rsa",
    ".aws/credentials",
  ])("refuses to write %s, which holds secrets by convention", (path) => {
    expect(reasons([{ path, content: "x\n" }])).toEqual([
      `${path} holds secrets by convention; ci-medic neither reads nor changes it.`,
    ]);
  });
});

describe("secrets in fix content: the redactor's rule set", () => {
  const stripe = `sk_live_${"4eC39Hq".repeat(4)}`;
  it.each([
    ["stripe-key", `const key = "${stripe}";\n`],
    ["openai-key", `const key = "sk-${"Ab3dEf".repeat(6)}";\n`],
    ["encoded-github-token", `const t = "${Buffer.from(`ghp_${"a1B2c3".repeat(6)}`).toString("base64")}";\n`],
    ["private-key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----\n"],
    ["password literal", 'db:\n  password = "hunter2-prod"\n'],
  ])("refuses %s", (kind, content) => {
    const out = reasons([{ path: "src/config.ts", content }]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^The change to src\/config\.ts adds secret-looking content \(/);
    expect(out[0]).toContain(kind);
  });

  it("accepts a password read from the environment", () => {
    expect(reasons([{ path: "src/config.ts", content: "const password = process.env.DB_PASSWORD;\n" }])).toEqual([]);
  });
});

describe("test weakening beyond .skip", () => {
  const ts = files.get("test/sum.test.ts")!;
  it.each([
    ["`.skipIf(`/`.runIf(`", ts.replace('it("adds"', 'it.skipIf(true)("adds"')],
    ["a bare `return` (ends the test early)", ts.replace("  expect(sum", "  return;\n  expect(sum")],
  ])("refuses %s in a JS test", (label, after) => {
    expect(reasons([{ path: "test/sum.test.ts", content: after }])).toContain(
      `The change to test/sum.test.ts adds ${label}, which skips or narrows tests.`,
    );
  });

  it("refuses a mock of the module under test", () => {
    const after = ts.replace(
      'import { sum } from "../src/sum.js";',
      'import { sum } from "../src/sum.js";\nvi.mock("../src/sum.js");',
    );
    expect(reasons([{ path: "test/sum.test.ts", content: after }])).toContain(
      "The change to test/sum.test.ts mocks the module under test, so the test no longer runs the real code.",
    );
  });

  it.each([
    [
      "tests/test_sum.py",
      "import pytest\npytestmark = pytest.mark.skip\n\ndef test_sum():\n    assert sum([1, 2]) == 3\n",
    ],
    [
      "tests/test_sum.py",
      'import pytest\nnp = pytest.importorskip("numpy")\n\ndef test_sum():\n    assert sum([1, 2]) == 3\n',
    ],
    [
      "Calc.Tests/SumTests.cs",
      'public class SumTests {\n  [Fact(Skip = "later")]\n  public void Adds() { Assert.Equal(3, 1 + 2); }\n}\n',
    ],
    ["src/lib.rs", "#[test]\n#[ignore]\nfn adds() {\n    assert_eq!(1 + 2, 3);\n}\n"],
  ])("refuses skipping in %s", (path, after) => {
    const out = reasons([{ path, content: after }]);
    expect(out.some((r) => r.includes("skips or narrows tests"))).toBe(true);
  });

  it.each([
    ["vitest.config.ts", "export default { test: { include: [], passWithNoTests: true } };\n", "`passWithNoTests`"],
    ["vitest.config.ts", "export default { test: { include: [] } };\n", "a test selection of nothing"],
    [
      "package.json",
      `${JSON.stringify({ name: "w", jest: { testPathIgnorePatterns: ["test"] }, scripts: { test: "vitest run" } }, null, 2)}\n`,
      "`testPathIgnorePatterns`",
    ],
  ])("refuses test-runner config in %s that selects no tests (%#)", (path, after, label) => {
    expect(reasons([{ path, content: after }])).toContain(
      `The change to ${path} adds ${label}, which can make the test run select fewer tests or none.`,
    );
  });

  it.each(["vitest run || true", "exit 0", "vitest run; exit 0"])("refuses a test script changed to %j", (cmd) => {
    const after = `${JSON.stringify({ name: "w", scripts: { test: cmd } }, null, 2)}\n`;
    expect(reasons([{ path: "package.json", content: after }])).toContain(
      "The change to package.json makes the `test` command unable to fail (`exit 0` or `|| true`).",
    );
  });

  it("does not take the proposal's own word that the test is wrong", () => {
    const verdict = validatePatch(
      {
        edits: [{ path: "test/sum.test.ts", content: ts.replace('it("adds"', 'it.skip("adds"') }],
        explanation: "",
        testsAreWrong: true,
      },
      files,
      { ...limits, allowTestEdits: true, testsAreWrong: false },
    );
    expect(verdict.ok).toBe(false);
  });
});
