// Names the kind of failure from the evidence. Pure: text and annotation tools in, a category out.

import type { Annotation, FailureCategory } from "./types.js";

interface Rule {
  category: FailureCategory;
  re: RegExp;
}

// Precedence, first match wins, and why:
// 1. workflow-config: the workflow never ran as written; every other signal in the log is incidental.
// 2. timeout, oom: the runner killed the job; the tool output before the kill (a test, a compile) was a victim, not the cause.
// 3. permissions: a token/secret problem stops publishing or checkout steps; the tools' messages only echo it.
// 4. git: a pull, rebase, push or checkout that git refused; whatever the step ran before or after is incidental, and
//    a script that retries or reports network trouble around its git commands must not hide it.
// 5. network: transient transport failures (reset, DNS, 502/503) often surface as "install failed"; retrying fixes them,
//    so they must win over dependency, which needs a code change.
// 6. tool-config: a tool that stopped on its own configuration (a plugin, target, script or option that does not
//    exist) never got to compile, lint or test anything.
// 7. dependency: resolution failures (ERESOLVE, no matching version) stop the build before compilers or tests run.
// 8. compile before lint and test: a test run or a lint pass that cannot compile fails because of the compile error.
// 9. lint before test: lint steps rarely contain test failures, while test logs often mention "lint" in script names.
// 10. runtime last among the known: an uncaught error of a script or program that is neither a build nor a test run.
const SIGNALS: Rule[] = [
  {
    category: "workflow-config",
    re: /Invalid workflow file|Unrecognized named-value|The workflow is not valid|Unexpected value '|Required property is missing|Unable to resolve action|Can't find 'action\.ya?ml'|is not a valid event name|No event triggers defined/i,
  },
  {
    category: "timeout",
    re: /has exceeded the maximum execution time|exceeded the timeout|timed out after \d+ ?(?:minutes|min|m)\b|Timeout of \d+ms exceeded|ETIMEDOUT.*(?:test|spec)|Exceeded timeout of \d+ ?ms|\bNo output has been received in the last \d+m/i,
  },
  {
    category: "oom",
    re: /JavaScript heap out of memory|\bOutOfMemoryError\b|Cannot allocate memory|\bout of memory\b|exit code 137\b|exited with 137\b|\bKilled\b(?:\s+signal 9)?$|signal: killed|OOMKilled|MemoryError\b|runner has received a shutdown signal/i,
  },
  {
    category: "permissions",
    re: /Resource not accessible by integration|\b403\b.*(?:GITHUB_TOKEN|Forbidden|permission)|Permission to .* denied|denied to github-actions|Bad credentials|\bsecret\b.*(?:not (?:set|found)|missing|is empty)|Input required and not supplied: (?:token|.*key)|requires? (?:the )?['`"]?\w+['`"]? permission|HttpError: (?:Not Found|Forbidden)|EACCES: permission denied|Permission denied \(publickey\)|unauthorized: authentication required|401 Unauthorized/i,
  },
  {
    category: "git",
    re: /cannot (?:pull|rebase) with rebase|failed to push some refs|Updates were rejected because|\[rejected\].*\((?:fetch first|non-fast-forward)\)|Automatic merge failed; fix conflicts|CONFLICT \((?:content|modify\/delete|add\/add)\)|Your local changes to the following files would be overwritten|There is no tracking information for the current branch|could not apply [0-9a-f]{7,}|fatal: (?:not a git repository|couldn't find remote ref|refusing to merge unrelated histories|repository '.*' not found|ambiguous argument|reference is not a tree|Needed a single revision|could not read Username|Authentication failed for|unable to access '.*': The requested URL returned error)|error: pathspec '.*' did not match|The process '\/usr\/bin\/git' failed with exit code|fatal: unable to auto-detect email address|Please tell me who you are/i,
  },
  {
    category: "network",
    re: /\bECONNRESET\b|\bETIMEDOUT\b|\bEAI_AGAIN\b|\bENOTFOUND\b|\bECONNREFUSED\b.*(?:registry|npmjs|pypi|maven|github\.com|:443)|Could not resolve host|Temporary failure in name resolution|Connection reset by peer|Connection timed out|\b(?:502|503|504) (?:Bad Gateway|Service Unavailable|Gateway Time-?out)|socket hang up|TLS handshake timeout|network is unreachable|Failed to connect to .* port \d+|Read timed out|Could not transfer artifact|getaddrinfo|API rate limit exceeded|secondary rate limit/i,
  },
  {
    category: "tool-config",
    re: /configuration in \S+ .* is invalid|Cannot find "[\w-]+" target for the specified project|Some specified paths were not resolved, unable to cache dependencies|npm (?:ERR!|error) Missing script:|No ESLint configuration found|ESLint couldn't find (?:the|a) (?:config|plugin)|Invalid configuration object|Configuration error:?|Validation Error:|Unknown compiler option|error TS5\d{3}:|Invalid options object|Unknown (?:option|argument|flag):? ['"`-]|unrecognized arguments:|Error: Invalid (?:config|option)|Cannot find (?:the )?(?:config|configuration) file|Could not find (?:a )?(?:config|configuration) file|tsconfig\S*\.json.*error|Unknown (?:builder|target|project)|Project target does not exist|Dependencies lock file is not found|Input required and not supplied: (?!token)/i,
  },
  {
    category: "dependency",
    re: /npm ERR! code (?:ERESOLVE|ETARGET|E404|ENOVERSIONS|EPEERINVALID)|npm error code (?:ERESOLVE|ETARGET|E404)|Could not find a version that satisfies|No matching distribution found|ERR_PNPM_(?:OUTDATED_LOCKFILE|NO_MATCHING_VERSION|PEER_DEP|FETCH_404)|lockfile (?:is )?(?:out of date|needs to be updated)|`npm ci` can only install packages when your package\.json and package-lock\.json|Could not resolve dependencies|Could not find artifact|failed to select a version for|ResolutionImpossible|version solving failed|Cannot find module '[^.][^']*'|ModuleNotFoundError: No module named|unable to resolve dependency tree|requires a peer of|package .* is not in (?:GOROOT|std)|go: .* unknown revision|Your lock file .* not up to date|Unable to find a version|command not found|^(?:sh|bash): (?:line )?\d+: [\w.-]+: not found$|npm (?:ERR!|error) (?:notarget|notsup|code ETARGET|code ENOTSUP)|ERR_PACKAGE_PATH_NOT_EXPORTED|No "exports" main defined|Dependabot encountered an error|Cannot find module '\/[^']*\/node_modules\//im,
  },
];

const TOOL_CATEGORY: Record<string, FailureCategory> = {
  tsc: "compile",
  javac: "compile",
  rustc: "compile",
  cargo: "compile",
  gcc: "compile",
  clang: "compile",
  go: "compile",
  esbuild: "compile",
  angular: "compile",
  sass: "compile",
  webpack: "compile",
  vite: "compile",
  scalac: "compile",
  ghc: "compile",
  "go-vet": "lint",
  "go-build": "compile",
  kotlinc: "compile",
  msbuild: "compile",
  swiftc: "compile",
  dotnet: "compile",
  maven: "compile",
  gradle: "compile",
  eslint: "lint",
  ruff: "lint",
  flake8: "lint",
  pylint: "lint",
  mypy: "lint",
  golangci: "lint",
  "golangci-lint": "lint",
  stylelint: "lint",
  prettier: "lint",
  rubocop: "lint",
  clippy: "lint",
  shellcheck: "lint",
  biome: "lint",
  hadolint: "lint",
  markdownlint: "lint",
  actionlint: "workflow-config",
  vitest: "test",
  jest: "test",
  pytest: "test",
  "go-test": "test",
  junit: "test",
  mocha: "test",
  rspec: "test",
  surefire: "test",
  "cargo-test": "test",
  phpunit: "test",
};

const COMPILE =
  /\berror TS\d+\b|\[ERROR\] (?:TS|NG)\d+|\berror NG\d+|Module build failed|SassError|Could not resolve "|Build failed with \d+ errors?|\berror: could not compile|An error occurred during the build|ERROR in (?:\.\/)?[\w@/.-]+\.\w+|\[error\] \S+\.scala:\d+|\.hs:\d+:\d+: error|error\[E\d+\]|\berror\[E\d{4}\]|COMPILATION ERROR|Compilation failed|cannot find symbol|\berror: (?:expected|use of undeclared|unknown type name|cannot find|mismatched types)|undefined reference to|\.(?:c|cc|cpp|h|hpp|java|kt|go|rs|cs|swift|ts|tsx):\d+:\d+: (?:fatal )?error\b|\.java:\[\d+,\d+\]|error CS\d+|SyntaxError:|Type error:|could not compile|build failed|compileJava FAILED|compileKotlin FAILED|make: \*\*\* .*Error \d/i;
const LINT =
  /\beslint\b.*(?:problems?|error)|\d+ problems? \(\d+ errors?|\bruff\b|\bflake8\b|\bpylint\b|\bgolangci-lint\b|\brubocop\b|\bstylelint\b|\bprettier\b.*(?:--check|Code style issues)|Code style issues found|would reformat|\bcheckstyle\b|\bspotless\w*\b.*(?:violations|failed)|\blint(?:ing)? (?:failed|errors?)|npm run lint|\bclippy\b|\b[A-Z]\d{3,4}\b .*\(\w+\)$|\bgofmt\b|\bgoimports\b|(?:\d+:\d+\s+(?:error|warning)\s+.*\s+[\w@/-]+\/[\w-]+$)/im;
const TEST =
  /\bTests?:\s+\d+ failed|\d+ (?:failing|failed)\b|--- FAIL|^FAIL\b|\bFAILED\b.*(?:test|spec|::)|AssertionError|\bassert(?:ion)?\b.*(?:failed|error)|Tests run: .*Failures: [1-9]|There (?:was|were) \d+ failures?|test(?:s)? failed|\bnot ok \d+|\bexpect\(|Expected:|Received:|pytest|\bjest\b|\bvitest\b|\bmocha\b|\brspec\b|Failures:\s*$/im;

const RUNTIME =
  /\b(?:ReferenceError|TypeError|RangeError|SyntaxError|NameError|AttributeError|KeyError|IndexError|ValueError|NullPointerException|IllegalStateException|IllegalArgumentException|NoMethodError|ArgumentError)\b|Unhandled (?:error|exception|rejection)|Uncaught (?:exception|\w*Error)|^panic: |Traceback \(most recent call last\)|\bSegmentation fault\b|core dumped|HttpError: /im;

/**
 * The excerpt without the failed steps' command blocks (`##[group]Run …` to `##[endgroup]` or the next cut marker):
 * a script's source names errors it handles (`console.warn("Rate limit exceeded")`), which says nothing about what
 * happened.
 */
export function withoutCommands(excerpt: string): string {
  const out: string[] = [];
  let inCommand = false;
  for (const line of excerpt.split("\n")) {
    if (line.startsWith("##[group]Run ")) inCommand = true;
    else if (inCommand && (line.startsWith("##[endgroup]") || /^… [\d,]+ lines? omitted …$/.test(line)))
      inCommand = false;
    else if (!inCommand) out.push(line);
  }
  return out.join("\n");
}

export function classify(fullExcerpt: string, annotations: Annotation[] = []): FailureCategory {
  const excerpt = withoutCommands(fullExcerpt);
  for (const rule of SIGNALS) if (rule.re.test(excerpt)) return rule.category;
  // Annotations come from dedicated parsers, so their tool is better evidence than any regex over free text.
  const votes = new Map<FailureCategory, number>();
  for (const a of annotations) {
    if (a.level !== "failure") continue;
    const c = TOOL_CATEGORY[a.tool.toLowerCase()];
    if (c) votes.set(c, (votes.get(c) ?? 0) + 1);
  }
  for (const c of ["workflow-config", "compile", "lint", "test"] as const) if ((votes.get(c) ?? 0) > 0) return c;
  if (COMPILE.test(excerpt)) return "compile";
  if (LINT.test(excerpt)) return "lint";
  if (TEST.test(excerpt)) return "test";
  if (RUNTIME.test(excerpt)) return "runtime";
  return "unknown";
}
