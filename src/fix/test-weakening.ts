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
  { label: "`@pytest.mark.skip`/`skipif`/`xfail`", re: /@pytest\.mark\.(?:skip|skipif|xfail)\b/g },
  { label: "`pytest.skip(`", re: /\bpytest\.(?:skip|xfail)\s*\(/g },
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

/** Reasons the change weakens the tests in `path` (empty when it does not). */
export function testWeakening(path: string, before: string, after: string, ops: readonly DiffOp[]): string[] {
  const reasons: string[] = [];
  for (const marker of SKIP_MARKERS) {
    if (count(marker.re, after) > count(marker.re, before)) {
      reasons.push(`The change to ${path} adds ${marker.label}, which skips or narrows tests.`);
    }
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
