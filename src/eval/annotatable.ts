// Whether a log holds a place a person would annotate: an error or warning that names a file of the repository and a
// line. Written apart from the parsers in src/logs/annotations (a second opinion, not their own verdict), so that
// "jobs with an annotation" can be read against "jobs that had something to annotate".

/** A repository path with a line: `src/a.ts:12`, `src/a.ts:12:5`, `./src/a.ts:20:0-48`, `src/a.ts(12,5)`. */
const LOCATION =
  /(?:^|[\s'"(])(?:\.\/|\/home\/runner\/work\/[^/\s]+\/[^/\s]+\/)?((?:[\w@.-]+\/)*[\w@.-]+\.[A-Za-z]\w{0,5})(?::\d+(?::\d+)?|\(\d+,\d+\))/;
const ERROR_WORD = /\b(?:error|errors|warning|failed|failure|fatal)\b|✘|✖|❌/i;
/**
 * Not the repository's own code, or not a file: dependencies (npm's, Go's module paths and cache), the runner's
 * actions and tool cache, system paths, URLs, generated modules.
 */
const FOREIGN =
  /node_modules|\/_actions\/|\/hostedtoolcache\/|\/go\/pkg\/mod\/|(?:^|\s)(?:github\.com|golang\.org|gopkg\.in)\/|\s\/usr\/|https?:\/\/|<anonymous>|ng:\/\/\/|node:internal/;
/** esbuild, Vite, rustc: the location sits on an indented line of its own, under the error. */
const LOCATION_LINE = /^\s+(?:--> )?\S+\.[A-Za-z]\w{0,5}:\d+(?::\d+)?:?\s*$/;
/** A test runner's report of one failed test (jest's `● Console` introduces console output, not a failure). */
const FAILED_TEST = /\sFAILED$|^\s*● (?!Console$)\S|^\s*[✕×] \S|^FAIL \S|^\s*--- FAIL: |^\s*\[-\] \S/;
const FRAME = /^\s*at (?:.*\()?(\S+?):\d+:\d+\)?\s*\{?$/;
/** Lines after an error header or a failed test within which its location or in-repo frame counts. */
const HEADER_REACH = 6;
const TEST_REACH = 40;

/**
 * The first line (cleaned, as the reader cleans them) that locates an error in the repository, or undefined: a
 * located diagnostic, an error header followed by its location line, or a failed test followed by a stack frame in
 * the repository's own code.
 */
export function annotatableLine(lines: readonly string[]): string | undefined {
  let header = -1;
  let test = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (FOREIGN.test(l)) continue;
    const isError = ERROR_WORD.test(l);
    if (isError && !/^\s*at /.test(l) && LOCATION.test(l)) return l;
    if (header >= 0 && i - header <= HEADER_REACH && LOCATION_LINE.test(l)) return l;
    if (test >= 0 && i - test <= TEST_REACH) {
      const f = FRAME.exec(l);
      if (f && /\.[A-Za-z]\w{0,5}$/.test(f[1]!)) return l;
    }
    if (FAILED_TEST.test(l)) test = i;
    else if (isError) header = i;
  }
  return undefined;
}
