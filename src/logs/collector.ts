// One pass over the cleaned lines keeping only bounded state: per step a header, a tail ring and
// windows around error anchors. Nothing here ever holds the whole log.

import { type AnchorStrength, anchorStrength, exitCodeOf, isBlockStart } from "./anchors.js";
import { detach, type KeptLine, LineRing, type RecentLines, type TailSnapshot } from "./recent-lines.js";

export { detach } from "./recent-lines.js";
export type { KeptLine };

/** Consecutive lines around one or more anchors. */
export interface Window {
  lines: KeptLine[];
  maxStrength: AnchorStrength;
  /** Line number of the last anchor in the window. */
  lastAnchor: number;
  /** Normalised anchor texts of the window, to tell distinctive errors from repeated noise. */
  keys: string[];
  /** Whether the window holds a test framework's failure-report header (see isBlockStart). */
  report?: boolean;
}

export interface Segment {
  index: number;
  /** `Run npm ci` (the group header), `Post job cleanup`, or `(log start)` for what precedes the first step. */
  name: string;
  /** The `##[group]Run …` line and the command lines that follow it (bounded). */
  header: KeptLine[];
  /** The command as shown by the runner (first lines of the group body, before `shell:`/`env:`/`with:`). */
  command?: string;
  /**
   * First line of the runner's `shell:`/`env:`/`with:` block in the step's `##[group]Run` header, and the
   * `##[endgroup]` that closes it: settings, never the failure (see excerpt.ts).
   */
  settings?: { from: number; to: number };
  startLine: number;
  endLine: number;
  exitCode?: number;
  /** `##[error]` lines seen. */
  errorCount: number;
  strongCount: number;
  windows: Window[];
  tail: KeptLine[];
  /** Last strong anchor lines, for classification and fingerprint. */
  lastStrong: string[];
}

export const TAIL_LINES = 200;
/**
 * A runner's preamble is a few hundred lines (Travis' system information: ~400); a `$ command` line later than this
 * is a tool's own echo (yarn's `$ jest`) in a log whose commands the runner did not echo, not the job's first command.
 */
export const ECHOED_COMMAND_WITHIN = 1_000;
const BEFORE: Record<AnchorStrength, number> = { 0: 0, 1: 0, 2: 2, 3: 5 };
const AFTER: Record<AnchorStrength, number> = { 0: 0, 1: 1, 2: 4, 3: 10 };
const MAX_WINDOW_LINES = 300;
/** Most lines of context taken before a command-exit anchor. */
const RECENT = 64;

// CI runners that print `$ cmd` … `The command "cmd" exited with N.` (Travis and alike): the failing command's
// output is the context of its exit line, back to the command itself.
const COMMAND_EXIT = /^The command ".*" (?:exited|failed) with [1-9]\d*\.?$/;

function beforeCount(line: KeptLine, recent: KeptLine[]): number {
  if (line.strength !== 3 || !COMMAND_EXIT.test(line.text)) return BEFORE[line.strength];
  let k = 1;
  while (k < recent.length && k < RECENT) {
    if (recent[recent.length - k]!.text.startsWith("$ ")) return k;
    k++;
  }
  return Math.min(k, RECENT);
}
/** Lines after a failure-report header (see isBlockStart). */
const BLOCK_AFTER = 40;
// Lines that continue an error report, from the runtimes' and frameworks' documented formats: JVM/.NET/JS/Haskell
// `at …` frames, Python `File "…"`, diffs, code frames (`12 |`, `> 12 |`), pytest `E`, `Caused by`, rustc notes;
// Ruby `file.rb:12:in `…'` frames, PHP and sanitizer/gdb `#0 …` frames, Go `file.go:12 +0x…` frames and goroutine
// headers, Elixir `(app 1.0) lib/x.ex:12:` frames, Rust backtrace `  3: crate::fn` entries.
const TRACE_CONTINUATION =
  /^\s*(?:at |File "|[+-] |>?\s*\d+ \||\||E\s|Caused by|\.\.\. \d+ more|\^|~+\^|-->|= note:|note:|(?:from )?\S+\.rb:\d+:in |#\d+ |\S+\.go:\d+(?: \+0x[0-9a-f]+)?$|goroutine \d+ \[|\([\w-]+ [\d.]+\) \S+:\d+:|\d+: [\w<][\w:<>$.]*(?:::|$))/;
const INDENTED = /^\s+\S/;
const MAX_INDENT_RUN = 40;
/** Per step, text kept in windows; beyond it the least useful window goes. */
const MAX_WINDOW_CHARS_PER_SEGMENT = 400_000;
const MAX_DETAILED_SEGMENTS = 20;
const MAX_HEADER_LINES = 40;
const MAX_KEYS = 20_000;
const LAST_STRONG = 40;

/**
 * An anchor's text with what changes between runs masked: hex ids of 7+ digits (whole words) become `H`, numbers `N`,
 * whitespace runs one space; trimmed, at most 200 chars. One pass over the chars (every anchor line comes here; the
 * three regular expressions it replaces took 3× as long): `\b[0-9a-f]{7,}\b`, then `\d+`, then `\s+`.
 */
export function normaliseKey(line: string): string {
  let out = "";
  const len = line.length;
  let i = 0;
  // Whitespace waiting to be written as one space (dropped at the start and at the end: trim).
  let space = false;
  while (i < len && out.length <= 200) {
    const c = line.charCodeAt(i);
    if (isWordChar(c)) {
      let j = i;
      let hex = true;
      while (j < len && isWordChar(line.charCodeAt(j))) {
        if (hex && !isHexDigit(line.charCodeAt(j))) hex = false;
        j++;
      }
      if (space && out.length > 0) out += " ";
      space = false;
      if (hex && j - i >= 7) out += "H";
      else {
        // Digit runs within the word.
        let k = i;
        while (k < j) {
          const d = line.charCodeAt(k);
          if (d >= 48 && d <= 57) {
            out += "N";
            while (k < j && line.charCodeAt(k) >= 48 && line.charCodeAt(k) <= 57) k++;
          } else {
            let m = k + 1;
            while (m < j && !(line.charCodeAt(m) >= 48 && line.charCodeAt(m) <= 57)) m++;
            out += line.slice(k, m);
            k = m;
          }
        }
      }
      i = j;
    } else if (isSpace(c)) {
      space = true;
      i++;
    } else {
      if (space && out.length > 0) out += " ";
      space = false;
      out += line[i];
      i++;
    }
  }
  return out.slice(0, 200);
}

/** `\w` without the u flag. */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** `\s`, which String#trim also strips. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function newSegment(index: number, name: string, startLine: number): Segment {
  return {
    index,
    name,
    header: [],
    startLine,
    endLine: startLine,
    errorCount: 0,
    strongCount: 0,
    windows: [],
    tail: [],
    lastStrong: [],
  };
}

export class LogCollector {
  readonly segments: Segment[] = [];
  /** How often each normalised anchor text was seen across the log. */
  readonly keyCounts = new Map<string, number>();
  lineCount = 0;
  nonEmpty = 0;
  /** Whether the log has GitHub step structure (`##[group]Run`). */
  github = false;
  /**
   * Line of the job's first command: the first `##[group]Run` header, or the first `$ command` line that Travis,
   * GitLab and alike echo, within ECHOED_COMMAND_WITHIN lines. What precedes it is the runner's preamble (worker and
   * system information, tools' version banners, environment set-up), which a person skips. Undefined when the log
   * shows no command.
   */
  firstCommand: number | undefined;

  private current: Segment;
  private inHeader = false;
  private headerDone = false;
  private open: Window | undefined;
  private afterLeft = 0;
  private windowChars = 0;
  private inPem = false;
  private headerCommand = "";

  /** Window text a closed step keeps. */
  private readonly closedSegmentChars: number;
  /**
   * Whether pushed lines are strings of their own (LineRouter decodes each line by itself), rather than slices of a
   * larger decoded chunk, which a kept line must not hold on to (see detach).
   */
  standaloneLines = false;

  /** A line's text as kept beyond this push. */
  private own(text: string): string {
    return this.standaloneLines ? text : detach(text);
  }

  /** Where the tails and anchor contexts come from; a reader that skips lines supplies its own (see LineRouter). */
  recent: RecentLines = new LineRing();
  /** Closed steps that keep their windows and tail, oldest first (at most MAX_DETAILED_SEGMENTS). */
  private readonly detailed: Segment[] = [];
  /** Tails of closed steps, decoded only for the steps still detailed at the end (see finish). */
  private readonly tails = new Map<Segment, TailSnapshot>();

  constructor(opts: { maxExcerptChars?: number } = {}) {
    this.closedSegmentChars = Math.max(100_000, 3 * (opts.maxExcerptChars ?? 32_000));
    this.current = newSegment(0, "(log start)", 1);
    this.segments.push(this.current);
  }

  /** Whether a line that is no anchor, no step boundary and no secret would only be counted and added to the tail. */
  get quiet(): boolean {
    return !this.inHeader && !this.inPem && !(this.open !== undefined && this.afterLeft > 0);
  }

  /** `count` quiet lines (see `quiet`), which the reader has recorded in `recent` itself. */
  pushQuiet(count: number, nonBlank: boolean): void {
    if (nonBlank) this.nonEmpty = 1;
    this.lineCount += count;
    this.current.endLine = this.lineCount;
  }

  push(raw: string): void {
    const n = ++this.lineCount;
    let text = raw;
    // Private keys never enter any buffer, whichever chunk or line they were split over.
    if (this.inPem || text.indexOf("-----BEGIN") >= 0) text = this.maskPem(text);
    if (text.length > 0 && this.nonEmpty === 0 && text.trim().length > 0) this.nonEmpty = 1;

    const c0 = text.charCodeAt(0);
    if (c0 === 35 /* # */ && text.startsWith("##[")) {
      if (text.startsWith("##[group]Run ")) {
        this.firstCommand ??= n;
        this.startSegment(this.own(text.slice(9)), n);
        this.github = true;
        this.inHeader = true;
        this.headerDone = false;
        this.current.header.push({ n, text: this.own(text), strength: 0 });
        this.headerCommand = this.own(text.slice(13));
        this.recent.add({ n, text: this.own(text), strength: 0 });
        return;
      }
      if (text.startsWith("##[endgroup]")) {
        if (this.inHeader && this.current.command === undefined) this.current.command = this.headerCommand;
        if (this.inHeader && this.current.settings) this.current.settings.to = n;
        this.inHeader = false;
      } else if (text.startsWith("##[error]")) this.current.errorCount++;
    } else if (
      c0 === 36 /* $ */ &&
      this.firstCommand === undefined &&
      n <= ECHOED_COMMAND_WITHIN &&
      text.startsWith("$ ")
    ) {
      this.firstCommand = n;
    } else if (c0 === 80 /* P */ && text === "Post job cleanup.") {
      this.startSegment("Post job cleanup", n);
    } else if (c0 === 67 /* C */ && text === "Cleaning up orphan processes") {
      this.startSegment("Complete job", n);
    }

    if (this.inHeader) {
      const seg = this.current;
      if (seg.header.length < MAX_HEADER_LINES) seg.header.push({ n, text: this.own(text), strength: 0 });
      if (!this.headerDone) {
        // The group body repeats the whole command (the header shows its first line only), then shell/env/with.
        if (/^\s*(?:shell|env|with):/.test(text) || text.startsWith("##[")) {
          this.headerDone = true;
          if (!text.startsWith("##[")) seg.settings = { from: n, to: n };
          if (seg.command === undefined) seg.command = this.headerCommand;
        } else if (seg.command === undefined) seg.command = this.own(text);
        else if (seg.command.length < 2000) seg.command += `\n${text}`;
      }
    }

    const strength = this.inHeader ? 0 : anchorStrength(text);
    const line: KeptLine = { n, text, strength };
    const seg = this.current;
    seg.endLine = n;
    const code = strength > 0 ? exitCodeOf(text) : undefined;
    if (code !== undefined && code !== 0) seg.exitCode = code;

    if (strength > 0) this.anchor(line);
    else if (this.open && this.afterLeft > 0) {
      this.open.lines.push({ n, text: this.own(text), strength });
      this.windowChars += text.length;
      // An error block (stack trace, diff, indented details) goes on past the fixed context while it stays a block.
      // Stack frames, diffs and code frames continue any error; plain indentation only a strong one, and not for long
      // (build tools indent their progress lines too).
      const w = this.open;
      const block =
        w.maxStrength >= 2 &&
        w.lines.length < MAX_WINDOW_LINES &&
        (TRACE_CONTINUATION.test(text) ||
          (w.maxStrength === 3 && INDENTED.test(text) && n - w.lastAnchor <= MAX_INDENT_RUN));
      if (--this.afterLeft === 0 && !block) this.open = undefined;
      else if (this.afterLeft === 0) this.afterLeft = 1;
    }
    this.recent.add(line);
  }

  private maskPem(text: string): string {
    if (this.inPem) {
      if (/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
        this.inPem = false;
        return text.replace(/^.*-----END [A-Z0-9 ]*PRIVATE KEY-----/, "[REDACTED:private-key]");
      }
      return "[REDACTED:private-key]";
    }
    const begin = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.exec(text);
    if (!begin) return text;
    const rest = text.slice(begin.index);
    if (/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(rest)) {
      return (
        text.slice(0, begin.index) +
        rest.replace(
          /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/,
          "[REDACTED:private-key]",
        )
      );
    }
    this.inPem = true;
    return `${text.slice(0, begin.index)}[REDACTED:private-key]`;
  }

  private anchor(line: KeptLine): void {
    const seg = this.current;
    const key = normaliseKey(line.text);
    if (line.strength === 3) {
      seg.strongCount++;
      seg.lastStrong.push(this.own(line.text));
      if (seg.lastStrong.length > LAST_STRONG * 2) seg.lastStrong = seg.lastStrong.slice(-LAST_STRONG);
    }
    const seen = this.keyCounts.get(key);
    if (seen !== undefined) this.keyCounts.set(key, seen + 1);
    else if (this.keyCounts.size < MAX_KEYS) this.keyCounts.set(key, 1);

    let w = this.open;
    if (!w || w.lines.length >= MAX_WINDOW_LINES) {
      const recent = this.recent
        .last(line.strength === 3 && COMMAND_EXIT.test(line.text) ? RECENT : BEFORE[line.strength])
        .filter((l) => l.n >= seg.startLine);
      const count = beforeCount(line, recent);
      const before = (count > 0 ? recent.slice(-count) : []).filter((l) => !w || l.n > w.lines[w.lines.length - 1]!.n);
      w = { lines: before, maxStrength: 0, lastAnchor: line.n, keys: [] };
      for (const l of before) this.windowChars += l.text.length;
      seg.windows.push(w);
      this.open = w;
    }
    w.lines.push({ ...line, text: this.own(line.text) });
    w.lastAnchor = line.n;
    this.windowChars += line.text.length;
    if (line.strength > w.maxStrength) w.maxStrength = line.strength;
    if (w.keys.length < 50) w.keys.push(key);
    const report = line.strength === 3 && isBlockStart(line.text);
    if (report) w.report = true;
    this.afterLeft = Math.max(this.afterLeft, report ? BLOCK_AFTER : AFTER[line.strength]);
    if (this.windowChars > MAX_WINDOW_CHARS_PER_SEGMENT) this.evict();
  }

  /** Drops the least useful windows of the current step: weakest first, earliest among equals. */
  private evict(): void {
    this.windowChars = this.trimWindows(this.current, MAX_WINDOW_CHARS_PER_SEGMENT * 0.75, this.windowChars);
  }

  private trimWindows(
    seg: Segment,
    max: number,
    chars = seg.windows.reduce((a, w) => a + w.lines.reduce((b, l) => b + l.text.length, 0), 0),
  ): number {
    const ws = seg.windows;
    while (chars > max && ws.length > 1) {
      let worst = 0;
      // The last window is never dropped: it is the newest and possibly still growing.
      for (let i = 1; i < ws.length - 1; i++) if (ws[i]!.maxStrength < ws[worst]!.maxStrength) worst = i;
      const [gone] = ws.splice(worst, 1);
      if (gone === this.open) this.open = undefined;
      for (const l of gone!.lines) chars -= l.text.length;
    }
    return chars;
  }

  private startSegment(name: string, n: number): void {
    this.closeSegment();
    this.current = newSegment(this.segments.length, name, n);
    this.segments.push(this.current);
  }

  private closeSegment(): void {
    const seg = this.current;
    // Steps that went well keep only their last few lines (see below).
    const quiet = seg.exitCode === undefined && seg.errorCount === 0 && seg.strongCount === 0;
    if (quiet) seg.tail = this.recent.last(5).filter((l) => l.n >= seg.startLine);
    else this.tails.set(seg, this.recent.snapshot(TAIL_LINES, seg.startLine));
    this.open = undefined;
    this.afterLeft = 0;
    this.windowChars = 0;
    this.inHeader = false;
    // Steps that went well keep only their summary; failed ones keep their detail, the latest few of them, and only
    // their best windows (a closed step can still be the failed one, so it keeps a few excerpts' worth).
    if (quiet) seg.windows = [];
    else this.trimWindows(seg, this.closedSegmentChars);
    // A closed step's detail changes only here: the steps that keep any are queued in the order they closed.
    if (seg.windows.length > 0 || (this.tails.get(seg)?.length ?? seg.tail.length) > 5) this.detailed.push(seg);
    if (this.detailed.length > MAX_DETAILED_SEGMENTS) {
      const old = this.detailed.shift()!;
      old.windows = [];
      old.tail = this.tails.get(old)?.last(5) ?? old.tail.slice(-5);
      this.dropTail(old);
    }
    if (this.segments.length > 2000) {
      // Pathological logs with thousands of groups: forget the oldest summaries too.
      const [gone] = this.segments.splice(1, 1);
      const queued = this.detailed.indexOf(gone!);
      if (queued >= 0) this.detailed.splice(queued, 1);
      this.dropTail(gone!);
    }
  }

  /** Forgets a closed step's tail snapshot; its bytes go back to be reused. */
  private dropTail(seg: Segment): void {
    this.tails.get(seg)?.release();
    this.tails.delete(seg);
  }

  finish(): Segment[] {
    for (const [s, tail] of this.tails) {
      s.tail = tail.lines();
      tail.release();
    }
    this.tails.clear();
    const seg = this.current;
    seg.tail = this.recent.last(TAIL_LINES).filter((l) => l.n >= seg.startLine);
    this.open = undefined;
    return this.segments;
  }
}
