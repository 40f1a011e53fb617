// Which lines explain a failure. One cheap prefilter runs on every line; the finer rules only on its hits.

import { isNoise } from "./noise.js";

/** 0: not an anchor, 1: weak (warnings, hints), 2: error-ish, 3: unmistakable error. */
export type AnchorStrength = 0 | 1 | 2 | 3;

// A line without any of these stems is skipped after one regex test. The list is short on purpose: measured on the
// LogChunks and CiDiff labels, vaguer words (cannot, missing, invalid, not found, …) added noise windows and lowered
// recall, and every extra alternative slows this hottest regex (irregexp's quick check fades with more first letters).
const PREFILTER = /err|fail|fatal|panic|exce|assert|warn|exit|expect|abort|✗|✖|×|❌/i;
// Case-sensitive extras in a second regex: folding them into the one above (case-insensitive) would halve its speed.
const EXTRA_TRIGGERS = /Traceback|Killed|denied|No space left|Segmentation fault|Too many open files/;

// Headers that open a failure report (pytest `____ test_x ____`, `=== FAILURES ===`, mocha/jest/rspec numbered or
// bulleted failures, Pester's `[-] test name 12ms`): what follows is the report itself, so their windows reach further.
// Jest's `● Console` heads the console output of a test file, not a failure.
const BLOCK_START =
  /^_{3,} .+ _{3,}$|^={3,} (?:FAILURES|ERRORS|short test summary info) ={3,}$|^\s*●\s+(?!Console\s*$)\S|^\s*\d+\) \S.*:?$|^Failures:$|^FAILURES!$|^--- FAIL: |^\s*\[-\] \S/;
// Maven Surefire/Failsafe head the report of each failed test class and test method with `<<< FAILURE!` or
// `<<< ERROR!` (2.x at the line end; 2.19+ and 3.x add `- in <class>` / `-- in <class>`); the stack trace follows.
// Not anchored at the start, so kept out of BLOCK_START (which runs on every candidate line): such lines are strong
// through STRONG already, and this runs on strong lines only.
const SUREFIRE_REPORT = /\s<<< (?:FAILURE|ERROR)!(?: -{1,2} in \S+)?$/;

/** Whether a line opens a failure report. Meant for lines already known to be strong (see anchorStrength). */
export function isBlockStart(line: string): boolean {
  return BLOCK_START.test(line) || SUREFIRE_REPORT.test(line);
}

const STRONG: RegExp[] = [
  BLOCK_START,
  /^##\[error\]|^::error\b/,
  /^Traceback \(most recent call last\)/,
  /^npm ERR!|^npm error\b|^ERR_PNPM_|^error Command failed|^ERR! /,
  /BUILD FAILURE|BUILD FAILED|FAILURE: Build failed/,
  /^\s*\[(?:ERROR|FATAL)\]|^\s*(?:ERROR|FATAL|FAILED|FAIL)\b|\bFAIL(?:ED)?[:!]|--- FAIL|^\s*FAIL\s/,
  /^\s*panic:|^fatal:|fatal error|\bSegmentation fault\b|core dumped|No space left on device|Too many open files/,
  /(?:^|\s|\]|:)(?:error|Error)(?:\[[A-Z]?\d+\])?:|\berror (?:TS|CS|C|LNK)\d+|\berror\[E\d+\]/,
  /^\s*(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)\b(?::|\s*$)|^E\s{2,}|^\s*(?:raise|throw)\b.*(?:Error|Exception)/,
  /\bAssertionError\b|\bassert(?:ion)?\s+failed|\bAssertion failed/i,
  /(?:exit(?:ed)?|exit code|exit status|returned|status)\s*(?:with|code|status|:)?\s*[1-9]\d*\b.*$/i,
  /Process completed with exit code [1-9]|The command ".*" (?:exited|failed) with [1-9]|exceeded the maximum execution time|has been cancelled|was canceled/,
  // Test runners' and xcpretty's failure marks (`✗ testFoo`, `❌  File.swift:47:19: …`).
  /✗|✖|×\s|❌|\bKilled\b|heap out of memory|Out ?of ?memory|OutOfMemoryError/,
  /^\s*(?:not ok|FAILED|ERRORED)\b|\bTests?:?\s+\d+ failed|\d+ (?:failing|failed|errors?)\b/,
  // Node's `Error [ERR_CODE]: message` and `TypeError [ERR_X]: …`; the shells' own report of a missing command (exit
  // status 127): `sh: 1: husky: not found`, `bash: line 1: tsc: command not found`, `make: gcc: No such file`.
  /^\s*(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception) \[[A-Z][\w-]*\]:|^(?:\/\S+\/)?(?:sh|bash|zsh|dash|\/bin\/sh)(?:: line \d+| ?: ?\d+)?: \S+: (?:command )?not found$|: command not found$/,
  // Test-result lines: `test_x (mod.Case) ... FAIL`, `selections-trim FAIL`, `Time elapsed: 0.2 sec  <<< ERROR!`.
  /\s(?:FAIL|FAILED|ERROR|FAILURE|ERRORED)!?$/,
];

const MEDIUM: RegExp[] = [
  // Not a file name such as `Error.pm` or `errors.go`.
  /\b(?:error|errors|failed|failure|failing|fatal|exception)\b(?!\.[a-z]{1,4}\b)/i,
  /\b(?:cannot|can't|could not|couldn't|unable to)\b/i,
  /\b(?:not found|no such file|permission denied|access denied|forbidden|unauthorized|timed? ?out|refused|undefined reference|unresolved|invalid|unrecognized|conflict|mismatch|violation|missing)\b/i,
  /^\s*(?:Expected|Received|Actual|expected|actual)\b|^\s*[-+] (?:Expected|Received)|\bexpected\b.*\b(?:but|got|to (?:be|equal))\b/,
  /\bat [\w$.<>]+\s*\(.*:\d+(?::\d+)?\)$|^\s+at [\w$.<>/]+\(.*\.(?:java|kt|scala):\d+\)$|^\s+File ".*", line \d+/,
];

const WEAK = /\bwarn(?:ing)?s?\b|\bdeprecat|\bWARN\b|\babort/i;

// Lines that mention an error word but report success or a zero count, or describe a setting (`sudo -V` prints
// "Allow some information gathering to give useful error messages"); they would only add noise.
const NEGATIVE =
  /\b(?:0|no) (?:errors?|failures?|failed|failing)\b|\berrors?: 0\b|\bfailures?: 0\b|\bfailed: 0\b|-Werror|error_reporting|errorprone|\bonerror|\bErrors?: 0\b|\bFailures: 0, Errors: 0\b|continue-on-error|ignore[-_]?errors?|allow[-_]failures?|if-no-files-found|\b(?:useful|helpful|better|verbose|detailed) error messages\b|\berror (?:handling|reporting) (?:is|was|enabled|disabled)\b/i;

// A runner's or test framework's own failure verdict wins over a zero count on the same line: Surefire's class line
// `Tests run: 3, Failures: 0, Errors: 2, … <<< FAILURE!` failed although it says `Failures: 0`.
const VERDICT = /^##\[error\]|\s<<< (?:FAILURE|ERROR)!/;

function hasExtraTrigger(line: string): boolean {
  return EXTRA_TRIGGERS.test(line);
}

export function anchorStrength(line: string): AnchorStrength {
  if (line.length < 3) return 0;
  if (!PREFILTER.test(line) && !hasExtraTrigger(line))
    return line.charCodeAt(0) === 95 /* _ */ ||
      line.indexOf(") ") > 0 ||
      line.indexOf("●") >= 0 ||
      line.indexOf("[-] ") >= 0
      ? BLOCK_START.test(line)
        ? 3
        : 0
      : 0;
  for (const re of STRONG) if (re.test(line)) return NEGATIVE.test(line) && !VERDICT.test(line) ? 1 : 3;
  if (NEGATIVE.test(line)) return 0;
  let strength: AnchorStrength = 0;
  for (const re of MEDIUM) {
    if (re.test(line)) {
      strength = 2;
      break;
    }
  }
  if (strength === 0 && WEAK.test(line)) strength = 1;
  // A vague word in a banner, a system dump or a download (`License Exception`, `Authentication failure message`,
  // `http-errors-1.7.2.tgz`) is no error; an unmistakable one (above) still is.
  return strength > 0 && isNoise(line) ? 0 : strength;
}

/** GitHub's own last word on a failed step: `##[error]Process completed with exit code N.` (or the plain variant). */
export function exitCodeOf(line: string): number | undefined {
  if (line.indexOf("Process completed with exit code") < 0) return undefined;
  const m = /Process completed with exit code (\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
}
