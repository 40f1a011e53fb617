// "Make CI green" must not mean "make the tests say less". Counting markers before and after (rather than reading
// single added lines) catches the change wherever in the file it lands and ignores lines that merely moved.

import type { DiffOp } from "./line-diff.js";

const SKIP_MARKERS: { label: string; re: RegExp }[] = [
  { label: "`.skip`", re: /(?<!mark|unittest)\.skip\b/g },
  { label: "`.only`", re: /\.only\b/g },
  { label: "`.todo`", re: /\b(?:it|test|describe)\.todo\b/g },
  { label: "`xit(`", re: /\bxit\s*\(/g },
  { label: "`xtest(`", re: /\bxtest\s*\(/g },
  { label: "`xdescribe(`", re: /\bxdescribe\s*\(/g },
  { label: "`.skipIf(`/`.runIf(`", re: /\.(?:skipIf|runIf)\s*\(/g },
  // Decorators and module-level `pytestmark = pytest.mark.skip`.
  { label: "`@pytest.mark.skip`/`skipif`/`xfail` or `pytestmark`", re: /\bpytest\.mark\.(?:skip|skipif|xfail)\b/g },
  { label: "`pytest.skip(`/`pytest.importorskip(`", re: /\bpytest\.(?:skip|xfail|importorskip)\s*\(/g },
  { label: "`[Fact(Skip = …)]`", re: /\b(?:Fact|Theory|Test|TestCase|TestMethod)\s*\([^)\n]*\bSkip\s*=/g },
  { label: "`[Ignore]`", re: /\[\s*Ignore\b/g },
  { label: "a bare `return` (ends the test early)", re: /^[ \t]*return[ \t]*;?[ \t]*$/gm },
  { label: "`@unittest.skip`", re: /@unittest\.skip/g },
  { label: "`t.Skip(`", re: /\bt\.Skip(?:Now|f)?\s*\(/g },
  { label: "`#[ignore]`", re: /#\[ignore\b/g },
  { label: "`@Ignore`", re: /@Ignore\b/g },
  { label: "`@Disabled`", re: /@Disabled\b/g },
];

const TEST_CASE =
  /\b(?:it|test)(?:\.each\b[^(]*)?\s*\(|^\s*(?:async\s+)?def\s+test_|^\s*func\s+Test[A-Z_0-9]|#\[(?:tokio::)?test\b|@Test\b/gm;

const ASSERTION =
  /\bexpect\s*\(|\bassert|\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\b|\bself\.assert|\bassertEquals\b|\bassertThat\b|\brequire\.\w+\(|\bassert_eq!|\bassert_ne!|\bassert!|toMatchSnapshot|toMatchInlineSnapshot/;

function count(re: RegExp, text: string): number {
  re.lastIndex = 0;
  return text.match(re)?.length ?? 0;
}

/** The module a test file tests, by convention: `test/sum.test.ts` → `sum`, `tests/test_sum.py` → `sum`. */
function unitUnderTest(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return name
    .replace(/\.[^.]+$/, "")
    .replace(/[._-](?:test|spec)s?$/, "")
    .replace(/^test_/, "");
}

/** Module mocks of the unit under test: `vi.mock("../src/sum.js")` in sum.test.ts tests the mock, not the code. */
function mocksOfUnit(path: string, text: string): number {
  const unit = unitUnderTest(path);
  let n = 0;
  for (const m of text.matchAll(
    /\b(?:vi|jest)\.(?:mock|doMock|unstable_mockModule)\s*\(\s*["'`]([^"'`\n]{1,300})["'`]/g,
  )) {
    const target = m[1]!
      .slice(m[1]!.lastIndexOf("/") + 1)
      .toLowerCase()
      .replace(/\.[^.]+$/, "");
    if (target === unit || target === "index") n++;
  }
  return n;
}

/** Source files that hold their own tests (Rust's `#[cfg(test)]` modules). */
export function hasInlineTests(text: string | null): boolean {
  return text !== null && /#\[(?:cfg\(test\)|test)\]/.test(text);
}

/** Reasons the change weakens the tests in `path` (empty when it does not). */
export function testWeakening(path: string, before: string, after: string, ops: readonly DiffOp[]): string[] {
  const reasons: string[] = [];
  for (const marker of SKIP_MARKERS) {
    if (count(marker.re, after) > count(marker.re, before)) {
      reasons.push(`The change to ${path} adds ${marker.label}, which skips or narrows tests.`);
    }
  }
  if (mocksOfUnit(path, after) > mocksOfUnit(path, before)) {
    reasons.push(`The change to ${path} mocks the module under test, so the test no longer runs the real code.`);
  }
  const casesBefore = count(TEST_CASE, before);
  const casesAfter = count(TEST_CASE, after);
  if (casesAfter < casesBefore) {
    reasons.push(`The change to ${path} removes ${casesBefore - casesAfter} test case(s).`);
  }

  const removed = ops.filter((o) => o.op === "-" && ASSERTION.test(o.text)).map((o) => o.text.trim());
  const added = new Set(ops.filter((o) => o.op === "+").map((o) => o.text.trim()));
  // A line that only moved (removed and re-added verbatim) is not a change to the assertion.
  const changed = removed.filter((line) => !added.has(line));
  const assertionsBefore = countLines(ASSERTION, before);
  const assertionsAfter = countLines(ASSERTION, after);
  if (assertionsAfter < assertionsBefore) {
    reasons.push(`The change to ${path} removes ${assertionsBefore - assertionsAfter} assertion line(s).`);
  } else if (changed.length > 0) {
    const first = changed[0]!.slice(0, 120);
    reasons.push(
      `The change to ${path} rewrites ${changed.length} assertion line(s), which can loosen what the test expects (first: \`${first.replace(/`/g, "'")}\`).`,
    );
  }
  return reasons;
}

function countLines(re: RegExp, text: string): number {
  let n = 0;
  for (const line of text.split("\n")) if (re.test(line)) n++;
  return n;
}

// Test-runner configuration and scripts: a change here can make every test file pass by running none of them.

/** Files that configure which tests run, or how their result counts. */
export function isTestConfig(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return (
    /^(?:vitest|vite|jest|karma|playwright|cypress|ava|mocha)\.config\.[cm]?[jt]s$/.test(name) ||
    /^(?:vitest\.workspace|jest\.preset)\.[cm]?[jt]s$/.test(name) ||
    /^\.mocharc(?:\.[a-z]+)?$/.test(name) ||
    /^(?:pytest\.ini|pyproject\.toml|setup\.cfg|tox\.ini|conftest\.py|phpunit\.xml(?:\.dist)?|package\.json|makefile|justfile|cargo\.toml|\.runsettings|directory\.build\.props)$/.test(
      name,
    ) ||
    /\.runsettings$/.test(name)
  );
}

const CONFIG_MARKERS: { label: string; re: RegExp }[] = [
  { label: "`passWithNoTests`", re: /passWithNoTests|pass-with-no-tests/gi },
  { label: "`testPathIgnorePatterns`", re: /\b(?:testPathIgnorePatterns|modulePathIgnorePatterns|testIgnore)\b/g },
  {
    label: "a test selection of nothing",
    re: /\b(?:include|testMatch|testRegex|testFiles|spec|specs|roots)\s*[:=]\s*\[\s*\]/g,
  },
  {
    label: "pytest's `--ignore`/`--deselect`/`collect_ignore`",
    re: /--ignore(?:-glob)?[=\s]|--deselect\b|\bcollect_ignore(?:_glob)?\b/g,
  },
  { label: "a `-k` filter in pytest's `addopts`", re: /\baddopts\s*=.*\s-k\s/g },
  {
    label: "`--exclude`/`--skip` in a test command",
    re: /\b(?:vitest|jest|mocha|pytest|cargo test|go test|dotnet test)\b[^\n]*\s--(?:exclude|skip|testPathIgnorePatterns)\b/g,
  },
];

/** A test command ended so it cannot fail: `exit 0`, `|| true`, `|| :`, `; true`. */
const NEUTERED_COMMAND = /(?:\|\||;|&&)\s*(?:true|exit\s+0|:)\s*(?:$|["'\n;&|])|^\s*exit\s+0\s*$/m;

/** Reasons a change to a test runner's configuration or a test script runs fewer tests or cannot fail. */
export function testConfigWeakening(path: string, before: string | null, after: string): string[] {
  if (!isTestConfig(path)) return [];
  const reasons: string[] = [];
  const old = before ?? "";
  for (const marker of CONFIG_MARKERS) {
    if (count(marker.re, after) > count(marker.re, old)) {
      reasons.push(
        `The change to ${path} adds ${marker.label}, which can make the test run select fewer tests or none.`,
      );
    }
  }
  for (const [name, command] of testCommands(path, after)) {
    const was = testCommands(path, old).get(name);
    if (NEUTERED_COMMAND.test(command) && !(was !== undefined && NEUTERED_COMMAND.test(was))) {
      reasons.push(`The change to ${path} makes the \`${name}\` command unable to fail (\`exit 0\` or \`|| true\`).`);
    }
  }
  return reasons;
}

/** Test commands by name: package.json scripts whose name mentions test, or Makefile/justfile `test` recipes. */
function testCommands(path: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (/(?:^|\/)package\.json$/i.test(path)) {
    try {
      const scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts ?? {};
      for (const [name, cmd] of Object.entries(scripts))
        if (/test/i.test(name) && typeof cmd === "string") out.set(name, cmd);
    } catch {
      // Not JSON (yet): the package-scripts check reports that.
    }
    return out;
  }
  if (/(?:^|\/)(?:makefile|justfile)$/i.test(path)) {
    const m = /^(test[\w-]*)\s*:[^\n]*\n((?:[ \t]+[^\n]*\n?)*)/im.exec(text);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
