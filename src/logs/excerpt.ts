// Picks, within a character budget, the lines that explain the failure and joins them with cut markers.

import { anchorStrength } from "./anchors.js";
import type { KeptLine, Segment, Window } from "./collector.js";
import { isNoise } from "./noise.js";

export interface ExcerptOptions {
  maxChars: number;
  /** Total lines of the log, for the trailing cut marker. */
  lineCount: number;
  keyCounts: Map<string, number>;
  /**
   * Whether a line also appears in the last passing run of the job (see baseline.ts). When given, lines the passing
   * run printed too rank below new ones: they fill only the budget new lines leave, within BASELINE_SEEN_CHARS.
   */
  seen?: (text: string) => boolean;
  /** Line of the job's first command (see LogCollector#firstCommand): what precedes it is the runner's preamble. */
  firstCommand?: number;
}

export interface Excerpt {
  text: string;
  truncated: boolean;
  /** With a baseline: 0-based indexes of the excerpt's lines that the passing run printed too (cut markers are not). */
  seen?: number[];
}

const HEADER_LINES = 12;
const MUST_TAIL = 20;
const MORE_TAIL = 100;
/** Share of the budget error windows may take before the tail of the failed step gets its turn. */
const WINDOW_SHARE = 0.45;
/** Beyond this share of the budget only distinctive strong errors are added. */
const SOFT_SHARE = 0.5;
const MARKER_RESERVE = 40;
/**
 * Score added to a window holding a test framework's failure report (Surefire `<<< FAILURE!`, pytest `____ test ____`,
 * jest `●`, go `--- FAIL:`): worth one strength level. Tests exercise error paths on purpose, so the code under test
 * logs exceptions and stack traces of its own, often later in the log than the report of the test that failed.
 */
const REPORT_BONUS = 300;
/**
 * With a baseline: most characters of context the passing run printed too, beyond the new lines (and the failed
 * step's header and last lines). Chosen on CiDiff for a median excerpt near 6 KB; see EVALUATION.md.
 */
const BASELINE_SEEN_CHARS = 4_000;
/** With a baseline: gaps of at most this many lines between kept lines are filled. */
const BASELINE_GAP = 3;
/** With a baseline: the failed step's last lines kept whether or not the passing run printed them. */
const BASELINE_TAIL = 5;

/** A long step's first lines hold system information and tool banners (`sudo -V`, `zip -v`, licence texts). */
const PREAMBLE_SHARE = 0.05;
const PREAMBLE_MIN_LINES = 500;

/**
 * Whether a window lies where vague words are noise: before the job's first command (the runner's worker and system
 * information, its tools' version banners: see LogCollector#firstCommand), or in the first lines of a long step.
 * Callers ask it of windows without an unmistakable error only.
 */
function inPreamble(w: Window, seg: Segment, firstCommand: number | undefined): boolean {
  if (firstCommand !== undefined && w.lastAnchor < firstCommand) return true;
  const span = seg.endLine - seg.startLine;
  if (span < PREAMBLE_MIN_LINES) return false;
  return w.lastAnchor - seg.startLine < span * PREAMBLE_SHARE;
}

/** Plain markers a reader (human or LLM) understands; the count lets them judge what was cut. */
export function cutMarker(lines: number): string {
  return `… ${groupThousands(lines)} line${lines === 1 ? "" : "s"} omitted …`;
}

/** `1,234,567`, as toLocaleString("en-US") writes it, without the ~25 ms that loading ICU's number formats costs. */
function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
}

class Selection {
  readonly kept = new Map<number, string>();
  used = 0;
  constructor(readonly max: number) {}

  /** Adds all lines or none; returns whether they fit. */
  addAll(lines: KeptLine[]): boolean {
    let cost = 0;
    for (const l of lines) if (!this.kept.has(l.n)) cost += l.text.length + 1;
    if (cost > 0) cost += MARKER_RESERVE;
    if (this.used + cost > this.max) return false;
    for (const l of lines) this.kept.set(l.n, l.text);
    this.used += cost;
    return true;
  }

  /** Adds lines in the given order while they fit (within `limit` when given). */
  addWhileFits(lines: KeptLine[], limit = this.max): void {
    const max = Math.min(limit, this.max);
    for (const l of lines) {
      if (this.kept.has(l.n)) continue;
      const cost = l.text.length + 1 + (this.kept.has(l.n - 1) ? 0 : MARKER_RESERVE);
      if (this.used + cost > max) return;
      this.kept.set(l.n, l.text);
      this.used += cost;
    }
  }
}

/** How much a window explains the failure (see buildExcerpt); also ranks the key lines (key-lines.ts). */
export function windowScore(w: Window, seg: Segment, keyCounts: Map<string, number>): number {
  const last = w.lines[w.lines.length - 1]!.n;
  const span = Math.max(1, seg.endLine - seg.startLine);
  // Later errors usually explain the exit; early ones are often retried or tolerated noise. Position weighs more than
  // the strength of the wording: a plain "failed" near the end beats an "ERROR" in the setup phase.
  const recency = ((last - seg.startLine) / span) * 700;
  let repeats = 0;
  for (const k of w.keys) repeats += keyCounts.get(k) ?? 1;
  const avg = w.keys.length > 0 ? repeats / w.keys.length : 1;
  // An error line printed hundreds of times (retries, deprecation spam) tells less than one printed once.
  const distinct = avg <= 1.01 ? 200 : -Math.min(400, 60 * Math.log2(avg));
  return w.maxStrength * 300 + recency + distinct + (w.report ? REPORT_BONUS : 0);
}

function isDistinct(w: Window, keyCounts: Map<string, number>): boolean {
  return w.keys.every((k) => (keyCounts.get(k) ?? 1) <= 1);
}

/** The failed steps' windows, best first (see windowScore). */
function rankWindows(failed: Segment[], keyCounts: Map<string, number>): { w: Window; seg: Segment; score: number }[] {
  return failed
    .flatMap((seg) => seg.windows.map((w) => ({ w, seg, score: windowScore(w, seg, keyCounts) })))
    .sort((a, b) => b.score - a.score);
}

/** An unmistakable error, or an error-ish one outside a preamble (see inPreamble). */
function isStrong(w: Window, seg: Segment, firstCommand: number | undefined): boolean {
  return w.maxStrength === 3 || (w.maxStrength === 2 && !inPreamble(w, seg, firstCommand));
}

function fitWindow(sel: Selection, w: Window): void {
  if (sel.addAll(w.lines)) return;
  const first = w.lines.findIndex((l) => l.strength >= 2);
  if (first < 0) return;
  let lastIdx = first;
  for (let i = w.lines.length - 1; i > first; i--) {
    if (w.lines[i]!.strength >= 2) {
      lastIdx = i;
      break;
    }
  }
  const core = w.lines.slice(Math.max(0, first - 1), Math.min(w.lines.length, lastIdx + 3));
  if (sel.addAll(core)) return;
  sel.addWhileFits(core);
}

/** Lines the passing run did not print, memoised per line number (a line can sit in a window and in the tail). */
class Novelty {
  private readonly memo = new Map<number, boolean>();
  constructor(private readonly seen: (text: string) => boolean) {}

  isSeen(l: KeptLine): boolean {
    let v = this.memo.get(l.n);
    if (v === undefined) {
      v = this.seen(l.text);
      this.memo.set(l.n, v);
    }
    return v;
  }

  fresh(lines: KeptLine[]): KeptLine[] {
    return lines.filter((l) => !this.isSeen(l));
  }

  /**
   * A window reduced to its new lines, undefined when none is new. When the passing run printed all its anchors, the
   * new lines around them count as a weak window only.
   */
  window(w: Window): Window | undefined {
    const lines = this.fresh(w.lines);
    if (lines.length === 0) return undefined;
    let maxStrength = 0 as Window["maxStrength"];
    for (const l of lines) if (l.strength > maxStrength) maxStrength = l.strength;
    return { ...w, lines, maxStrength: maxStrength || 1 };
  }
}

export function buildExcerpt(segments: Segment[], failed: Segment[], opts: ExcerptOptions): Excerpt {
  if (opts.seen) return buildWithBaseline(segments, failed, opts, new Novelty(opts.seen));
  return { ...select(segments, failed, opts), seen: undefined };
}

/**
 * With a passing run to compare with: the same selection over the lines the passing run did not print (the header and
 * the last lines of the failed step stay whole), then, within a small budget, the best windows' other lines, as
 * context. Returns which excerpt lines were seen in the passing run, for the prompt to say so.
 */
function buildWithBaseline(allSegments: Segment[], allFailed: Segment[], opts: ExcerptOptions, nov: Novelty): Excerpt {
  const failed = allFailed.map(withoutSettings);
  const segments = allSegments.map((s) => {
    const i = allFailed.indexOf(s);
    return i >= 0 ? failed[i]! : s;
  });
  const reduce = (seg: Segment): Segment => ({
    ...seg,
    windows: seg.windows.map((w) => nov.window(w)).filter((w): w is Window => w !== undefined),
    tail: [...nov.fresh(seg.tail.slice(0, -BASELINE_TAIL)), ...seg.tail.slice(-BASELINE_TAIL)],
  });
  const reducedFailed = failed.map(reduce);
  const reduced = segments.map((s) => {
    const i = failed.indexOf(s);
    return i >= 0 ? reducedFailed[i]! : reduce(s);
  });
  const { kept, truncated } = selectLines(reduced, reducedFailed, opts);
  // Context the passing run printed too, within BASELINE_SEEN_CHARS, taken in the order the excerpt without a
  // baseline takes lines: the failed step's last lines, then the strongest error windows by the same ranking (whole
  // when they fit, else their errors). A cause the passing run printed as well (a warning that became an error, a
  // failure report both runs print) still comes first among those. Then the short gaps between kept lines (a
  // report is one block even when some of its lines also appear in passing runs), then the best windows' other lines.
  const used = [...kept.values()].reduce((a, t) => a + t.length + 1, 0);
  const sel = new Selection(Math.min(opts.maxChars, used + BASELINE_SEEN_CHARS));
  for (const [n, text] of kept) sel.kept.set(n, text);
  sel.used = used;
  for (const seg of failed) {
    const t = seg.tail.slice(-MUST_TAIL);
    if (!sel.addAll(t)) sel.addWhileFits(t.slice().reverse());
  }
  const ranked = rankWindows(failed, opts.keyCounts);
  for (const { w, seg } of ranked) if (isStrong(w, seg, opts.firstCommand)) fitWindow(sel, w);
  sel.addWhileFits(gapLines(failed, sel.kept));
  for (const { w } of ranked) sel.addWhileFits(w.lines);
  dropNoiseHead(sel.kept, skippable(allSegments, opts.firstCommand));
  const text = render(sel.kept, opts.lineCount);
  const seen: number[] = [];
  let i = 0;
  let prev = 0;
  for (const n of [...sel.kept.keys()].sort((a, b) => a - b)) {
    if (n > prev + 1) i++;
    if (nov.isSeen({ n, text: sel.kept.get(n)!, strength: 0 })) seen.push(i);
    i++;
    prev = n;
  }
  return { text, truncated, seen };
}

/** Lines of the failed steps' windows and tails that close a gap of at most BASELINE_GAP lines between kept lines. */
function gapLines(failed: Segment[], kept: Map<number, string>): KeptLine[] {
  const known = new Map<number, KeptLine>();
  for (const seg of failed) {
    for (const w of seg.windows) for (const l of w.lines) known.set(l.n, l);
    for (const l of seg.tail) known.set(l.n, l);
  }
  const ns = [...kept.keys()].sort((a, b) => a - b);
  const out: KeptLine[] = [];
  for (let i = 1; i < ns.length; i++) {
    const gap = ns[i]! - ns[i - 1]! - 1;
    if (gap === 0 || gap > BASELINE_GAP) continue;
    const fill: KeptLine[] = [];
    for (let n = ns[i - 1]! + 1; n < ns[i]!; n++) {
      const l = known.get(n);
      if (l) fill.push(l);
    }
    if (fill.length === gap) out.push(...fill);
  }
  return out;
}

function select(segments: Segment[], failed: Segment[], opts: ExcerptOptions): Omit<Excerpt, "seen"> {
  const { kept, truncated } = selectLines(segments, failed, opts);
  dropNoiseHead(kept, skippable(segments, opts.firstCommand));
  return { text: render(kept, opts.lineCount), truncated };
}

/**
 * Lines a person skips when they start reading: blank lines, noise (see noise.ts), and the runner's preamble before
 * the job's first command, unless the line is an unmistakable error: a set-up step that failed, or an error worded
 * like noise (`can not run elasticsearch as root`, `Error: Missing copyright header`), which is the failure itself.
 */
function skippable(segments: Segment[], firstCommand: number | undefined): (n: number, text: string) => boolean {
  const strong = new Set<number>();
  if (firstCommand !== undefined) {
    for (const seg of segments)
      for (const w of seg.windows) for (const l of w.lines) if (l.strength === 3 && l.n < firstCommand) strong.add(l.n);
  }
  return (n, text) => {
    const t = text.trim();
    if (t.length === 0) return true;
    if (isNoise(t)) return anchorStrength(t) < 3;
    return firstCommand !== undefined && n < firstCommand && !strong.has(n);
  };
}

/**
 * Removes what a person would skip from where they start reading: kept blocks (runs of consecutive lines) made only
 * of skippable lines, and the skippable lines that open the first remaining block. A step's tail or an error's
 * context can reach back into a system dump or a version banner; the excerpt must not open with it. An excerpt that
 * is nothing but such lines stays as it is.
 */
function dropNoiseHead(kept: Map<number, string>, skip: (n: number, text: string) => boolean): void {
  const ns = [...kept.keys()].sort((a, b) => a - b);
  const blocks: number[][] = [];
  for (const n of ns) {
    const last = blocks[blocks.length - 1];
    if (last && last[last.length - 1] === n - 1) last.push(n);
    else blocks.push([n]);
  }
  const isSkipped = (n: number) => skip(n, kept.get(n)!);
  const drop: number[] = [];
  let opened = false;
  for (const block of blocks) {
    if (block.every(isSkipped)) {
      drop.push(...block);
      continue;
    }
    if (!opened) {
      for (const n of block) {
        if (!isSkipped(n)) break;
        drop.push(n);
      }
      opened = true;
    }
  }
  if (drop.length === ns.length) return;
  for (const n of drop) kept.delete(n);
}

/**
 * A step without its runner settings block (`shell:`, `env:` and its variables, `with:` inputs): an environment
 * dump is noise a person skips, and must never head an excerpt or take the place of output.
 */
function withoutSettings(seg: Segment): Segment {
  const s = seg.settings;
  if (!s) return seg;
  const keep = (l: KeptLine) => l.n < s.from || l.n > s.to;
  return {
    ...seg,
    header: seg.header.filter(keep),
    tail: seg.tail.filter(keep),
    windows: seg.windows.map((w) => ({ ...w, lines: w.lines.filter(keep) })).filter((w) => w.lines.length > 0),
  };
}

function selectLines(
  allSegments: Segment[],
  allFailed: Segment[],
  opts: ExcerptOptions,
): { kept: Map<number, string>; truncated: boolean } {
  const failed = allFailed.map(withoutSettings);
  const segments = allSegments.map((s) => {
    const i = allFailed.indexOf(s);
    return i >= 0 ? failed[i]! : withoutSettings(s);
  });
  const sel = new Selection(opts.maxChars);

  // 1. Always: the failing command and the last lines of each failed step.
  for (const seg of failed) {
    sel.addWhileFits(seg.header.slice(0, HEADER_LINES));
  }
  for (const seg of failed) {
    const t = seg.tail.slice(-MUST_TAIL);
    if (!sel.addAll(t)) sel.addWhileFits(t.slice().reverse());
  }

  // 2. Error windows of the failed steps, best first, up to most of the budget; then the lines before the end,
  //    where most failures explain themselves; then the remaining windows and weak anchors.
  const ranked = rankWindows(failed, opts.keyCounts);
  const strong = ranked.filter(({ w, seg }) => isStrong(w, seg, opts.firstCommand));
  const phase = new Selection(Math.floor(opts.maxChars * WINDOW_SHARE));
  phase.used = sel.used;
  let next = 0;
  for (; next < strong.length; next++) {
    if (phase.used >= phase.max) break;
    const before = sel.used;
    fitWindow(sel, strong[next]!.w);
    phase.used += sel.used - before;
  }
  for (const seg of failed) sel.addWhileFits(seg.tail.slice(-MORE_TAIL).reverse());
  // Past half the budget only unmistakable, distinctive errors still get in: the excerpt should stay short enough
  // to read, and repeated or vague lines rarely add what the first ones did not say.
  const soft = Math.floor(opts.maxChars * SOFT_SHARE);
  for (; next < strong.length; next++) {
    const { w } = strong[next]!;
    if (sel.used < soft || (w.maxStrength === 3 && isDistinct(w, opts.keyCounts))) fitWindow(sel, w);
  }
  for (const { w, seg } of ranked)
    if (w.maxStrength < 2 && sel.used < soft && !inPreamble(w, seg, opts.firstCommand)) fitWindow(sel, w);
  // Some failures have no error words at all (a link checker's report, a size limit); when the budget allows, the
  // step's last lines explain them. Capped at half the budget so excerpts stay short.
  for (const seg of failed) sel.addWhileFits(seg.tail.slice().reverse(), Math.floor(opts.maxChars / 2));

  // 4. Errors elsewhere in the job (a setup step that warned, a post step that failed too).
  const others = segments
    .filter((s) => !failed.includes(s) && (s.strongCount > 0 || s.errorCount > 0))
    .flatMap((seg) => seg.windows.map((w) => ({ w, score: windowScore(w, seg, opts.keyCounts) })))
    .filter(({ w }) => w.maxStrength === 3)
    .sort((a, b) => b.score - a.score);
  for (const { w } of others) fitWindow(sel, w);

  let truncated = false;
  for (const seg of failed) {
    for (let n = seg.startLine; n <= seg.endLine; n++) {
      if (!sel.kept.has(n)) {
        truncated = true;
        break;
      }
    }
  }
  return { kept: sel.kept, truncated };
}

function render(kept: Map<number, string>, lineCount: number): string {
  const ns = [...kept.keys()].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const n of ns) {
    if (n > prev + 1) out.push(cutMarker(n - prev - 1));
    out.push(kept.get(n)!);
    prev = n;
  }
  if (lineCount > prev && ns.length > 0) out.push(cutMarker(lineCount - prev));
  return out.join("\n");
}
