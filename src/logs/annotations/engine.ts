// Feeds log lines through cheap prefilters to the toolchain recognisers, keeping the small multi-line state that
// eslint stylish, rustc, esbuild, test runners, node and Python stack traces, pytest, go test, Pester and
// shellcheck's tty output need.
import type { Annotation } from "../types.js";
import {
  levelOf,
  parseColonForm,
  parseEslintCompact,
  parseKotlin,
  parseMaven,
  parseParenForm,
  parseWorkflowCommand,
} from "./single-line.js";
import { AnnotationSink, MAX_MESSAGE_CHARS, type PathResolver, type RawAnnotation } from "./sink.js";

// Longer lines are minified bundles or dumps; parsing only their head keeps regex time bounded.
const MAX_LINE_CHARS = 4000;
// A rustc `error[E…]: msg` header is followed by its `--> file` within this many lines.
const RUST_LOOKAHEAD = 3;
// How many stack frames after an error line are searched for the first in-repo one.
const FRAME_LOOKAHEAD = 60;
const MAX_CONTEXT_LINES = 5;

const ESLINT_HEADER =
  /^(?:[A-Za-z]:[\\/]|\/|\.{0,2}\/)?[^\s:]*?[^\s:/\\]\.[A-Za-z0-9]+$|^[A-Za-z]:[\\/][^:]+\.[A-Za-z0-9]+$/;
const ESLINT_ROW = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*?)(?:\s{2,}([@a-z0-9/_-]+))?\s*$/;
const RUST_HEADER = /^(error|warning)(?:\[([A-Za-z0-9]+)\])?: (.*)$/;
const RUST_ARROW = /^\s*--> (.+?):(\d+):(\d+)\s*$/;
const VITEST_FAIL =
  /^\s*(?:FAIL|×|✕|✗)\s+(\S+?\.[A-Za-z0-9]+)(?:\s+>\s+(.*?))?(?:\s+\[[^\]]*\])?(?:\s+\(\d+(?:\.\d+)?\s*m?s\))?\s*$/;
const JEST_BULLET = /^\s*● (.+)$/;
const STACK_AT = /^\s*at (?:.*? \()?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;
const VITEST_FRAME = /^\s*❯ (?:\S+ )?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\s*$/;
const ERROR_LINE = /^\s*(?:Uncaught )?((?:[A-Z]\w*)?(?:Error|Exception)(?: \[[\w-]+\])?): ?(.*)$/;
const PYTEST_SECTION = /^_{3,} (.+?) _{3,}$/;
const PYTEST_E = /^E {2,}(.*)$/;
const PYTEST_FAILED = /^FAILED (\S+?)::(\S+)(?: - (.*))?$/;
const GO_FAIL = /^\s*--- FAIL: (\S+)/;
const SHELLCHECK_IN = /^In (.+?) line (\d+):$/;
const WRAPPED_OUTPUT = /^##\[(?:error|warning|notice)\](?!##\[)(.+)$/;
const ESBUILD_HEADER = /^\s*(?:✘|▲) \[(ERROR|WARNING)\] (.*)$/;
const ESBUILD_LOCATION = /^\s+(\S+?):(\d+):(\d+):\s*$/;
const ESBUILD_LOOKAHEAD = 12;
const TRACEBACK_LOOKAHEAD = 400;
const PY_FRAME = /^\s+File "([^"]+)", line (\d+)/;
const PY_EXCEPTION_LINE = /^((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning)?)(?::|$)/;
const LABELLED_LOCATION = /^(?:(?:Error|ERROR|error|Warning|WARNING|warning): |ERROR in |WARNING in )(?=[^\s:]+:\d+)/;
const SHELLCHECK_CARET = /^(\s*)\^-*\^? ?(SC\d+) \((error|warning|info|style)\): (.*)$/;
// Pester 4 and 5: `[-] name 12ms` (5 adds `(10ms|2ms)`), the message, then frames `at <code>, /abs/path:12`
// (Pester 5) or `at <ScriptBlock>, C:\path: line 12` (Pester 4), the test's own first.
const PESTER_FAILED = /^\s*\[-\] (.+?)(?:\s+\d+(?:\.\d+)?m?s(?: \(\d+m?s\|\d+m?s\))?)?\s*$/;
const PESTER_FRAME = /^\s*at .+?, ((?:[A-Za-z]:)?[\\/][^,]*?)(?::(\d+)| ?: line (\d+))\s*$/;
const PESTER_RESULT = /^\s*\[[-+!?]\] /;
const PESTER_LOOKAHEAD = 30;
// xcpretty marks compiler errors with ❌ before clang's or swiftc's `file:line:col: message`.
const XCPRETTY_ERROR = /^\s*❌\s+/;

interface FrameContext {
  title: string;
  message: string;
  tool: string;
  remaining: number;
}

export class AnnotationEngine {
  private readonly sink: AnnotationSink;
  private eslintFile: string | null = null;
  private rust: { level: string; code: string; message: string; remaining: number } | null = null;
  private frames: FrameContext | null = null;
  private pytestTest: string | null = null;
  private pytestE: string[] = [];
  private readonly pytestByTest = new Map<string, Annotation>();
  private goTest: string | null = null;
  private esbuild: { level: string; title: string; message: string; remaining: number } | null = null;
  /** Inside a Python traceback: the deepest in-repo `File "…", line N` seen so far. */
  private traceback: { frame: { rawPath: string; line: number } | null; remaining: number } | null = null;
  private shellcheck: { file: string; line: number; source: string | null } | null = null;
  /** After a Pester `[-]` line: the test, its message once seen, and lines left to find its location in. */
  private pester: { title: string; message: string; remaining: number } | null = null;

  constructor(private readonly resolve: PathResolver) {
    this.sink = new AnnotationSink(resolve);
  }

  /** Whether some multi-line state counts lines down or waits for a continuation: then every line must be seen. */
  get busy(): boolean {
    // A shellcheck block waits for its source line; after that only `^-- SC…` carets, `In …` and `For more information`
    // lines matter to it, which callers must not skip (see LineRouter).
    return (
      this.rust !== null ||
      this.frames !== null ||
      this.esbuild !== null ||
      this.traceback !== null ||
      this.pester !== null ||
      (this.shellcheck !== null && this.shellcheck.source === null)
    );
  }

  /** After an eslint file header, indented lines can be its rows. */
  get inEslintBlock(): boolean {
    return this.eslintFile !== null;
  }

  /** What push does with a blank line, for callers that skip it. */
  blankLine(): void {
    this.eslintFile = null;
  }

  push(input: string): void {
    const line = input.length > MAX_LINE_CHARS ? input.slice(0, MAX_LINE_CHARS) : input;
    const len = line.length;
    let start = 0;
    while (start < len && (line.charCodeAt(start) === 32 || line.charCodeAt(start) === 9)) start++;
    if (start === len) {
      this.eslintFile = null;
      return;
    }
    const first = line.charCodeAt(0);
    if ((first === 58 && line.startsWith("::")) || (first === 35 && line.startsWith("##["))) {
      const cmd = parseWorkflowCommand(line);
      if (cmd) {
        this.sink.add(cmd);
        return;
      }
      // GitHub prints a failing step's stderr and problem-matcher hits as `##[error]<tool output>`.
      const inner = WRAPPED_OUTPUT.exec(line);
      if (inner?.[1]) this.push(inner[1]);
      return;
    }
    // Tools that wrap a compiler's located message in a label of their own: Angular CLI and Node scripts print
    // tsc's `file:line:col - error TS…` after `Error: `, webpack after `ERROR in `. The located message is parsed
    // as if it stood alone.
    if (start === 0 && (first === 69 || first === 87 || first === 101 || first === 119)) {
      const wrapped = LABELLED_LOCATION.exec(line);
      if (wrapped) {
        this.push(line.slice(wrapped[0].length));
        return;
      }
    }
    if (this.rust && this.rustLine(line)) return;
    if (this.eslintFile !== null && start > 0 && this.eslintRow(line)) return;
    if (this.shellcheck && this.shellcheckLine(line)) return;
    if (this.traceback && this.tracebackLine(line, start)) return;
    if (this.esbuild && this.esbuildLine(line)) return;
    if (this.pester && this.pesterLine(line, start)) return;
    if (start === 0 && first === 84 && line.startsWith("Traceback (most recent call last):")) {
      this.traceback = { frame: null, remaining: TRACEBACK_LOOKAHEAD };
      return;
    }

    // One pass over the first whitespace-delimited token decides which recognisers can possibly match: every
    // file:line format here starts with the path, which holds no space.
    let tokenEnd = start;
    let colonDigit = -1;
    let paren = -1;
    for (; tokenEnd < len; tokenEnd++) {
      const c = line.charCodeAt(tokenEnd);
      if (c === 32 || c === 9) break;
      if (c === 58) {
        // Read only within the line: a read past its end (a token ending in `:`) costs the optimised code a deopt.
        const n = tokenEnd + 1 < len ? line.charCodeAt(tokenEnd + 1) : 0;
        if (colonDigit < 0 && n >= 48 && n <= 57) colonDigit = tokenEnd;
      } else if (c === 40 && paren < 0) {
        paren = tokenEnd;
      }
    }
    const lead = line.charCodeAt(start);
    if (lead === 0x2718 || lead === 0x25b2) {
      const h = ESBUILD_HEADER.exec(line);
      if (h) {
        const body = (h[2] as string).replace(/ \[plugin [^\]]+\]$/, "");
        const code = /^([A-Z]+\d+): (.*)$/.exec(body);
        this.esbuild = {
          level: h[1] as string,
          title: code ? (code[1] as string) : "esbuild",
          message: code ? (code[2] as string) : body,
          remaining: ESBUILD_LOOKAHEAD,
        };
        return;
      }
    }
    if (lead === 91 /* [ */ && line.startsWith("[-] ", start)) {
      const p = PESTER_FAILED.exec(line);
      if (p) {
        this.pester = { title: (p[1] as string).trim(), message: "", remaining: PESTER_LOOKAHEAD };
        return;
      }
    }
    if (lead === 0x274c) {
      const x = XCPRETTY_ERROR.exec(line);
      const c = x ? parseColonForm(line.slice(x[0].length)) : null;
      if (c) {
        this.sink.add({ ...c, tool: "xcpretty" });
        return;
      }
    }
    if (this.testRunnerLine(line, start, lead, tokenEnd)) return;
    if (this.pytestLine(line, start, lead)) return;

    if (colonDigit > start) {
      if (line.startsWith(" - ", tokenEnd)) {
        const p = parseParenForm(line);
        if (p) {
          this.sink.add(p);
          return;
        }
      }
      const c = parseColonForm(line);
      if (c) {
        this.addColonForm(c);
        return;
      }
    }
    if (paren > start && line.charCodeAt(tokenEnd - 1) === 58) {
      const p = parseParenForm(line);
      if (p) {
        this.sink.add(p);
        return;
      }
    }
    if (start === 0) {
      if ((first === 101 || first === 119) && (line.startsWith("error") || line.startsWith("warning"))) {
        const r = RUST_HEADER.exec(line);
        if (r) {
          this.rust = { level: r[1] as string, code: r[2] ?? "", message: r[3] as string, remaining: RUST_LOOKAHEAD };
          return;
        }
      }
      const kotlin = (first === 101 || first === 119) && line.charCodeAt(1) === 58;
      const eslintCompact = line.charCodeAt(tokenEnd - 1) === 58 && line.startsWith(" line ", tokenEnd);
      const maven =
        first === 91 && (line.startsWith("[ERROR] ") || line.startsWith("[WARNING] ") || line.startsWith("[WARN] "));
      if (maven || kotlin || eslintCompact) {
        const b = maven ? parseMaven(line) : kotlin ? parseKotlin(line) : parseEslintCompact(line);
        if (b) {
          this.sink.add(b);
          return;
        }
      }
      if (first === 73 && line.startsWith("In ")) {
        const sc = SHELLCHECK_IN.exec(line);
        if (sc) {
          this.shellcheck = { file: sc[1] as string, line: Number(sc[2]), source: null };
          return;
        }
      }
      if (tokenEnd === len && ESLINT_HEADER.test(line)) this.eslintFile = line;
    }
  }

  finish(): Annotation[] {
    return this.sink.list();
  }

  private addColonForm(c: RawAnnotation): void {
    if (c.tool === "pytest") {
      const testName = this.pytestTest ?? c.title;
      const message = this.pytestE.length > 0 ? this.pytestE.join("\n") : c.title;
      const stored = this.sink.add({ ...c, title: testName, message });
      if (stored && this.pytestTest) this.rememberPytest(stored);
      this.pytestE = [];
      return;
    }
    if (this.goTest !== null && c.tool === "go") {
      this.sink.add({ ...c, title: this.goTest, tool: "go test" });
      return;
    }
    this.sink.add(c);
  }

  /** esbuild/Vite/Angular CLI: `✘ [ERROR] msg`, the message's continuation lines, then `    file:12:5:`. */
  private esbuildLine(line: string): boolean {
    const eb = this.esbuild;
    if (!eb) return false;
    const m = ESBUILD_LOCATION.exec(line);
    if (m) {
      this.esbuild = null;
      this.sink.add({
        rawPath: m[1] as string,
        line: Number(m[2]),
        column: Number(m[3]),
        level: levelOf(eb.level),
        title: eb.title,
        message: eb.message,
        tool: "esbuild",
      });
      return true;
    }
    eb.remaining -= 1;
    if (eb.remaining <= 0) this.esbuild = null;
    // Sass and others put only a word in the header ("Deprecation"); the explanation is the next line.
    else if (eb.message.length < 20 && line.trim().length > 0) eb.message = `${eb.message}: ${line.trim()}`;
    return false;
  }

  /** Pester: the message after a `[-]` line, then its first in-repo frame; another test's result ends the wait. */
  private pesterLine(line: string, start: number): boolean {
    const pe = this.pester;
    if (!pe) return false;
    if (PESTER_RESULT.test(line)) {
      this.pester = null;
      return false;
    }
    const f = line.startsWith("at ", start) ? PESTER_FRAME.exec(line) : null;
    if (f && this.resolve(f[1] as string) !== null) {
      this.pester = null;
      this.sink.add({
        rawPath: f[1] as string,
        line: Number(f[2] ?? f[3]),
        level: "failure",
        title: pe.title,
        message: pe.message || pe.title,
        tool: "pester",
      });
      return true;
    }
    if (!f && pe.message === "" && start < line.length) pe.message = line.trim().slice(0, MAX_MESSAGE_CHARS);
    pe.remaining -= 1;
    if (pe.remaining <= 0) this.pester = null;
    return f !== null;
  }

  /** Python traceback: frames are indented; the first line back at column 0 is the exception. */
  private tracebackLine(line: string, start: number): boolean {
    const tb = this.traceback;
    if (!tb) return false;
    if (start > 0) {
      const f = PY_FRAME.exec(line);
      if (f && this.resolve(f[1] as string) !== null) tb.frame = { rawPath: f[1] as string, line: Number(f[2]) };
      tb.remaining -= 1;
      if (tb.remaining <= 0) this.traceback = null;
      return f !== null;
    }
    this.traceback = null;
    const e = PY_EXCEPTION_LINE.exec(line);
    if (!e || !tb.frame) return false;
    this.sink.add({ ...tb.frame, level: "failure", title: e[1] as string, message: line.trim(), tool: "python" });
    return true;
  }

  private rememberPytest(stored: Annotation): void {
    if (this.pytestByTest.size >= 500) return;
    const key = `${stored.path}::${stored.title}`;
    if (!this.pytestByTest.has(key)) this.pytestByTest.set(key, stored);
  }

  private rustLine(line: string): boolean {
    const rust = this.rust;
    if (!rust) return false;
    const m = RUST_ARROW.exec(line);
    if (m) {
      this.rust = null;
      this.sink.add({
        rawPath: m[1] as string,
        line: Number(m[2]),
        column: Number(m[3]),
        level: levelOf(rust.level),
        title: rust.code || rust.level,
        message: rust.message,
        tool: "rustc",
      });
      return true;
    }
    rust.remaining -= 1;
    if (rust.remaining <= 0) this.rust = null;
    return false;
  }

  private eslintRow(line: string): boolean {
    const m = ESLINT_ROW.exec(line);
    if (!m || this.eslintFile === null) return false;
    const rule = m[5];
    this.sink.add({
      rawPath: this.eslintFile,
      line: Number(m[1]),
      column: Number(m[2]),
      level: levelOf(m[3] as string),
      title: rule ? `eslint(${rule})` : "eslint",
      message: m[4] as string,
      tool: "eslint",
    });
    return true;
  }

  private shellcheckLine(line: string): boolean {
    const sc = this.shellcheck;
    if (!sc) return false;
    const m = SHELLCHECK_CARET.exec(line);
    if (m) {
      const caret = (m[1] as string).length;
      this.sink.add({
        rawPath: sc.file,
        line: sc.line,
        column: caret + 1,
        level: levelOf(m[3] as string),
        title: m[2] as string,
        message: m[4] as string,
        tool: "shellcheck",
      });
      return true;
    }
    if (line.startsWith("In ") || line.startsWith("For more information")) {
      this.shellcheck = null;
      return false;
    }
    if (sc.source === null) {
      sc.source = line;
      return true;
    }
    return false;
  }

  /** vitest/jest failure headers, node error lines and their stack frames. */
  private testRunnerLine(line: string, start: number, lead: number, tokenEnd: number): boolean {
    if ((lead === 70 && line.startsWith("FAIL", start)) || lead === 0xd7 || lead === 0x2715 || lead === 0x2717) {
      const v = VITEST_FAIL.exec(line);
      if (v) {
        const file = v[1] as string;
        const title = v[2] ? v[2].replace(/\s+>\s+/g, " > ") : file;
        this.frames = { title, message: "", tool: "vitest", remaining: FRAME_LOOKAHEAD };
        return true;
      }
    }
    if (lead === 0x25cf) {
      const j = JEST_BULLET.exec(line);
      if (j) {
        const title = (j[1] as string).trim();
        // `● Console` introduces console output, whose frames are not failures.
        this.frames = title === "Console" ? null : { title, message: "", tool: "jest", remaining: FRAME_LOOKAHEAD };
        return true;
      }
    }
    if (lead === 0x276f || (lead === 97 && line.startsWith("at ", start))) {
      const f = VITEST_FRAME.exec(line) ?? STACK_AT.exec(line);
      if (f) {
        this.frame(f[1] as string, Number(f[2]), Number(f[3]));
        return true;
      }
    }
    if (isErrorHead(line, start, tokenEnd)) {
      const e = ERROR_LINE.exec(line);
      if (e) {
        const message = `${e[1] as string}: ${e[2] as string}`.trim();
        if (this.frames && this.frames.tool !== "node" && this.frames.message === "") {
          this.frames.message = message;
        } else {
          this.frames = { title: e[1] as string, message, tool: "node", remaining: FRAME_LOOKAHEAD };
        }
        return false;
      }
    }
    if (this.frames) {
      const fr = this.frames;
      fr.remaining -= 1;
      if (fr.remaining <= 0) this.frames = null;
      else if (fr.message === "" && fr.tool !== "node" && !line.includes("FAIL")) {
        fr.message = line.trim().slice(0, MAX_MESSAGE_CHARS);
      }
    }
    return false;
  }

  private frame(rawPath: string, lineNo: number, column: number): void {
    const ctx = this.frames;
    if (!ctx) return;
    if (this.resolve(rawPath) === null) return;
    this.sink.add({
      rawPath,
      line: lineNo,
      column,
      level: "failure",
      title: ctx.title,
      message: ctx.message || ctx.title,
      tool: ctx.tool,
    });
    // Only the first in-repo frame locates the failure.
    this.frames = null;
  }

  private pytestLine(line: string, start: number, lead: number): boolean {
    const first = start === 0 ? lead : -1;
    if (first === 95 /* _ */) {
      const s = PYTEST_SECTION.exec(line);
      if (s) {
        const name = (s[1] as string).trim();
        this.pytestTest = name.slice(name.lastIndexOf(".") + 1);
        this.pytestE = [];
        this.goTest = null;
        return true;
      }
    }
    if (first === 69 /* E */) {
      const e = PYTEST_E.exec(line);
      if (e) {
        if (this.pytestE.length < MAX_CONTEXT_LINES) this.pytestE.push((e[1] as string).trim());
        return true;
      }
    }
    if (first === 70 /* F */) {
      const f = PYTEST_FAILED.exec(line);
      if (f) {
        const test = (f[2] as string).split("::").pop() ?? "";
        const base = test.replace(/\[.*$/, "");
        const path = this.resolve(f[1] as string);
        const stored =
          path === null
            ? undefined
            : (this.pytestByTest.get(`${path}::${test}`) ?? this.pytestByTest.get(`${path}::${base}`));
        if (stored && f[3] && f[3].length > stored.message.length) stored.message = f[3].slice(0, MAX_MESSAGE_CHARS);
        return true;
      }
    }
    if (lead === 45 /* - */ && line.startsWith("--- FAIL", start)) {
      const g = GO_FAIL.exec(line);
      if (g) {
        this.goTest = g[1] as string;
        return true;
      }
    }
    if (
      (first === 70 && line.startsWith("FAIL")) ||
      (first === 111 && line.startsWith("ok ")) ||
      (first === 61 && line.startsWith("=== RUN"))
    ) {
      this.goTest = null;
    }
    return false;
  }
}

/** `TypeError: …`, `Uncaught Error: …`, `Error [ERR_X]: …`: the first token names an Error or Exception. */
function isErrorHead(line: string, start: number, tokenEnd: number): boolean {
  if (line.charCodeAt(tokenEnd - 1) === 58) {
    return line.startsWith("Error:", tokenEnd - 6) || line.startsWith("Exception:", tokenEnd - 10);
  }
  if (line.startsWith("Error", tokenEnd - 5)) return line.startsWith(" [", tokenEnd);
  return line.startsWith("Uncaught ", start);
}

export function parseWith(resolve: PathResolver, lines: Iterable<string>): Annotation[] {
  const engine = new AnnotationEngine(resolve);
  for (const l of lines) engine.push(l);
  return engine.finish();
}
