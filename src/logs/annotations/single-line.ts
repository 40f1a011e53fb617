// Stateless recognisers for formats where one line carries file, line and message.
import type { AnnotationLevel } from "../types.js";
import type { RawAnnotation } from "./sink.js";

export function levelOf(word: string): AnnotationLevel {
  const w = word.toLowerCase();
  if (w.startsWith("err") || w.startsWith("fatal") || w === "e" || w === "failure") return "failure";
  if (w.startsWith("warn") || w === "w") return "warning";
  return "notice";
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

// ---------- GitHub workflow commands ----------

function unescapeData(v: string): string {
  return v.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
}
function unescapeProperty(v: string): string {
  return v
    .replace(/%0D/gi, "\r")
    .replace(/%0A/gi, "\n")
    .replace(/%3A/gi, ":")
    .replace(/%2C/gi, ",")
    .replace(/%25/g, "%");
}

const GHA_COMMAND = /^(?:::(error|warning|notice)(?: ([^:]*))?::(.*)|##\[(error|warning|notice)(?: ([^\]]*))?\](.*))$/;

/** `::error file=F,line=L,col=C,endLine=E,title=T::message`, and the `##[error …]` form GitHub prints. */
export function parseWorkflowCommand(line: string): RawAnnotation | null {
  const m = GHA_COMMAND.exec(line);
  if (!m) return null;
  const kind = (m[1] ?? m[4]) as string;
  let props = m[1] !== undefined ? m[2] : m[5];
  let message = m[1] !== undefined ? (m[3] ?? "") : (m[6] ?? "");
  if (props === undefined && m[4] !== undefined) {
    // `##[error]file=a.ts,line=3::message`
    const inner = /^((?:file|line|col|endLine|endColumn|title)=[^:]*)::(.*)$/.exec(message);
    if (inner) {
      props = inner[1];
      message = inner[2] ?? "";
    }
  }
  if (!props) return null;
  const values = new Map<string, string>();
  for (const part of props.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) values.set(part.slice(0, eq).trim(), unescapeProperty(part.slice(eq + 1)));
  }
  const file = values.get("file");
  const startLine = num(values.get("line"));
  if (!file || startLine === undefined) return null;
  const column = num(values.get("col"));
  const endLine = num(values.get("endLine"));
  const raw: RawAnnotation = {
    rawPath: file,
    line: startLine,
    level: levelOf(kind),
    title: values.get("title") ?? kind,
    message: unescapeData(message),
    tool: "gha-command",
  };
  if (column !== undefined) raw.column = column;
  if (endLine !== undefined) raw.endLine = endLine;
  return raw;
}

// ---------- `file(line,col): level CODE: message` (tsc, csc/msbuild) ----------

const PAREN_FORM =
  /^\s*(?:\d+>)?(\S+?)\((\d+)(?:,(\d+))?(?:,\d+,\d+)?\)\s*: *(error|warning|info|fatal error) +([A-Za-z]+\d+) *: *(.*?)(?: \[[^\]]+\])?$/;
const TSC_PRETTY = /^\s*(\S.*?):(\d+):(\d+) - (error|warning) (TS\d+): (.*)$/;

export function parseParenForm(line: string): RawAnnotation | null {
  const m = PAREN_FORM.exec(line) ?? null;
  if (m) {
    const code = m[5] as string;
    const isTsc = code.startsWith("TS");
    const raw: RawAnnotation = {
      rawPath: m[1] as string,
      line: num(m[2]) ?? 0,
      level: levelOf(m[4] as string),
      title: code,
      message: m[6] as string,
      tool: isTsc ? "tsc" : "dotnet",
    };
    const column = num(m[3]);
    if (column !== undefined) raw.column = column;
    return raw;
  }
  const p = TSC_PRETTY.exec(line);
  if (!p) return null;
  return {
    rawPath: p[1] as string,
    line: num(p[2]) ?? 0,
    column: num(p[3]),
    level: levelOf(p[4] as string),
    title: p[5] as string,
    message: p[6] as string,
    tool: "tsc",
  };
}

// ---------- javac via maven, kotlinc via gradle, eslint compact ----------

const MAVEN = /^\[(ERROR|WARNING|WARN|INFO)\] (.+?):\[(\d+),(\d+)\] (.*)$/;
const KOTLIN_COLON = /^([ew]): (?:file:\/\/)?(\S.*?):(\d+):(\d+):? (.*)$/;
const KOTLIN_PAREN = /^([ew]): (\S.*?): \((\d+), (\d+)\): (.*)$/;
const ESLINT_COMPACT = /^(\S.*?): line (\d+), col (\d+), (Error|Warning|Info) - (.*?)(?: \(([^()\s]+)\))?$/;

export function parseMaven(line: string): RawAnnotation | null {
  const m = MAVEN.exec(line);
  if (m) {
    return {
      rawPath: m[2] as string,
      line: num(m[3]) ?? 0,
      column: num(m[4]),
      level: levelOf(m[1] as string),
      title: "javac",
      message: m[5] as string,
      tool: "maven",
    };
  }
  return null;
}

export function parseKotlin(line: string): RawAnnotation | null {
  const m = KOTLIN_COLON.exec(line) ?? KOTLIN_PAREN.exec(line);
  if (m) {
    const rawPath = line.includes("file://") ? `file://${m[2] as string}` : (m[2] as string);
    return {
      rawPath,
      line: num(m[3]) ?? 0,
      column: num(m[4]),
      level: levelOf(m[1] as string),
      title: "kotlinc",
      message: m[5] as string,
      tool: "kotlinc",
    };
  }
  return null;
}

export function parseEslintCompact(line: string): RawAnnotation | null {
  const m = ESLINT_COMPACT.exec(line);
  if (m) {
    return {
      rawPath: m[1] as string,
      line: num(m[2]) ?? 0,
      column: num(m[3]),
      level: levelOf(m[4] as string),
      title: m[6] ? `eslint(${m[6]})` : "eslint",
      message: m[5] as string,
      tool: "eslint",
    };
  }
  return null;
}

// ---------- `file:line[:col]: message` (gcc/clang, go, ruff/flake8, mypy, rustc short, shellcheck, actionlint, javac, pytest, eslint unix) ----------

// A path: optional drive letter, no whitespace/colon/brackets, must end in a name with an extension or sit in a directory.
const COLON_FORM =
  /^(\s*)((?:[A-Za-z]:[\\/])?[^\s:()[\]<>"'`|*?]*?[^\s:()[\]<>"'`|*?/\\.]\.[A-Za-z0-9_+-]+|(?:[A-Za-z]:[\\/])?[^\s:()[\]<>"'`|*?]*[\\/][^\s:()[\]<>"'`|*?/\\]+):(\d+)(?::(\d+))?(?::|\s+-)\s+(\S.*)$/;
const LEVEL_PREFIX =
  /^(fatal error|error|warning|note|info|information|style|hint|remark)(?:\[([A-Za-z0-9_-]+)\])?\s*:\s*(.*)$/i;
const BRACKET_LEVEL = /^\[(error|warning|info|notice)\]\s*(.*)$/i;
const LINT_CODE = /^([A-Z]{1,4}\d{2,5}|[A-Z]{1,3}-[a-z-]+)\b:?\s+(.*)$/;
const TRAILING_RULE = /\s+(?:\[([A-Za-z]+)\/([^\]\s]+)\]|\[([A-Za-z0-9_./@-]+)\]|\(([A-Za-z0-9_./@-]+)\))$/;
const PY_EXCEPTION = /^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Failed|Interrupt|Warning)$|^Failed$/;

function toolForColonForm(path: string, message: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  if (path.includes(".github/workflows/")) return "actionlint";
  switch (ext) {
    case "py":
    case "pyi":
      return /\[[a-z-]+\]$/.test(message) || /^(error|note|warning|info):/.test(message) ? "mypy" : "ruff";
    case "go":
      return "go";
    case "rs":
      return "rustc";
    case "c":
    case "h":
    case "cc":
    case "cpp":
    case "cxx":
    case "hpp":
    case "hh":
    case "m":
    case "mm":
      return "gcc";
    case "java":
      return "javac";
    case "sh":
    case "bash":
    case "ksh":
    case "zsh":
      return "shellcheck";
    case "js":
    case "jsx":
    case "mjs":
    case "cjs":
    case "ts":
    case "tsx":
    case "mts":
    case "cts":
    case "vue":
      return "eslint";
    default:
      return "compiler";
  }
}

export function parseColonForm(line: string): RawAnnotation | null {
  const m = COLON_FORM.exec(line);
  if (!m) return null;
  const rawPath = m[2] as string;
  const lineNo = num(m[3]) ?? 0;
  const column = num(m[4]);
  let rest = (m[5] as string).trim();
  let level: RawAnnotation["level"] = "failure";
  let title = "";
  let tool = toolForColonForm(rawPath, rest);
  let levelWord = "";

  const lp = LEVEL_PREFIX.exec(rest);
  const bl = lp ? null : BRACKET_LEVEL.exec(rest);
  if (lp) {
    levelWord = (lp[1] as string).toLowerCase();
    level = levelOf(levelWord);
    if (lp[2]) title = lp[2];
    rest = lp[3] as string;
  } else if (bl) {
    levelWord = (bl[1] as string).toLowerCase();
    level = levelOf(levelWord);
    rest = bl[2] as string;
  } else if (PY_EXCEPTION.test(rest) && tool !== "go") {
    // pytest's `tests/test_x.py:12: AssertionError` location line
    title = rest;
    tool = "pytest";
  } else {
    const code = LINT_CODE.exec(rest);
    if (code) {
      title = code[1] as string;
      rest = code[2] as string;
      if (/^W\d/.test(title)) level = "warning";
    }
  }
  const rule = TRAILING_RULE.exec(rest);
  if (rule) {
    if (rule[1] !== undefined) {
      // eslint unix: `[Error/no-undef]`
      level = levelOf(rule[1]);
      title = title || `eslint(${rule[2] as string})`;
      tool = "eslint";
      rest = rest.slice(0, rule.index);
    } else {
      title = title || (rule[3] ?? rule[4] ?? "");
    }
  }
  if (tool === "shellcheck" && /^SC\d+$/.test(title) === false) {
    const sc = /\[(SC\d+)\]/.exec(rest);
    if (sc) title = sc[1] as string;
  }
  if (!title) title = levelWord || (level === "failure" ? "error" : level);
  const raw: RawAnnotation = { rawPath, line: lineNo, level, title, message: rest, tool };
  if (column !== undefined) raw.column = column;
  return raw;
}
