// Picks, within a character budget, the lines that explain the failure and joins them with cut markers.

import type { KeptLine, Segment, Window } from "./collector.js";

export interface ExcerptOptions {
  maxChars: number;
  /** Total lines of the log, for the trailing cut marker. */
  lineCount: number;
  keyCounts: Map<string, number>;
}

export interface Excerpt {
  text: string;
  truncated: boolean;
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

function windowScore(w: Window, seg: Segment, keyCounts: Map<string, number>): number {
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

export function buildExcerpt(segments: Segment[], failed: Segment[], opts: ExcerptOptions): Excerpt {
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
  const ranked = failed
    .flatMap((seg) => seg.windows.map((w) => ({ w, score: windowScore(w, seg, opts.keyCounts) })))
    .sort((a, b) => b.score - a.score);
  const strong = ranked.filter(({ w }) => w.maxStrength >= 2);
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
  for (const { w } of ranked) if (w.maxStrength < 2 && sel.used < soft) fitWindow(sel, w);
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

  const text = render(sel.kept, opts.lineCount);
  let truncated = false;
  for (const seg of failed) {
    for (let n = seg.startLine; n <= seg.endLine; n++) {
      if (!sel.kept.has(n)) {
        truncated = true;
        break;
      }
    }
  }
  return { text, truncated };
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
