// The log module's one entry point: a raw job log in, a redacted, ranked, classified analysis out.

import { AnnotationEngine } from "./annotations/engine.js";
import { toRepoPath } from "./annotations/paths.js";
import { readLogFile, readLogRegions } from "./byte-reader.js";
import { classify } from "./classify.js";
import { LogCollector, type Segment } from "./collector.js";
import { EmptyLogError } from "./errors.js";
import { buildExcerpt, windowScore } from "./excerpt.js";
import { findFailedSteps } from "./failed-step.js";
import { fingerprint } from "./fingerprint.js";
import { keyLines } from "./key-lines.js";
import { LineRouter } from "./line-router.js";
import type { LogInput } from "./reader.js";
import { redactStrict } from "./redact.js";
import type { AnalyzeOptions, Annotation, LogAnalysis } from "./types.js";

export { BinaryLogError, EmptyLogError, RedactionError } from "./errors.js";
export type { LogInput } from "./reader.js";

/** A log on disk: read in place into a few reusable buffers (see readLogFile), the fastest input. */
export interface LogFile {
  file: string;
}

function isLogFile(input: LogInput | LogFile): input is LogFile {
  return typeof input === "object" && input !== null && typeof (input as LogFile).file === "string";
}

export const DEFAULT_MAX_EXCERPT_CHARS = 32_000;

/** Lines GitHub prints for every failure; they say nothing about which failure it is. */
const GENERIC = /^##\[error\]Process completed with exit code \d+\.?$|^Error: Process completed with exit code \d+\.?$/;

function errorLinesFor(failed: Segment[]): string[] {
  const lines = failed.flatMap((s) => s.lastStrong).filter((l) => !GENERIC.test(l));
  return lines.length > 0 ? lines : failed.flatMap((s) => s.lastStrong);
}

function lineTotal(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Most warnings and notices kept, after every error: 59 Sass warnings must not hide the 197 errors behind them. */
export const MAX_WARNING_ANNOTATIONS = 10;

/** Errors first, then warnings, then notices, each in log order; warnings and notices capped. */
export function errorsFirst(annotations: Annotation[]): Annotation[] {
  const rank = { failure: 0, warning: 1, notice: 2 } as const;
  const sorted = annotations
    .map((a, i) => ({ a, i }))
    .sort((x, y) => rank[x.a.level] - rank[y.a.level] || x.i - y.i)
    .map(({ a }) => a);
  const errors = sorted.filter((a) => a.level === "failure");
  return [...errors, ...sorted.slice(errors.length, errors.length + MAX_WARNING_ANNOTATIONS)];
}

function redactAnnotation(a: Annotation): Annotation {
  return { ...a, title: redactStrict(a.title), message: redactStrict(a.message) };
}

export async function analyzeLog(input: LogInput | LogFile, opts: AnalyzeOptions = {}): Promise<LogAnalysis> {
  const maxExcerptChars = opts.maxExcerptChars ?? DEFAULT_MAX_EXCERPT_CHARS;
  const collector = new LogCollector({ maxExcerptChars });
  // The engine behind createAnnotationParser, used directly: the router needs to know when it may skip lines.
  const pathOpts = opts.repository ? { repository: opts.repository } : undefined;
  const parser = new AnnotationEngine((raw) => toRepoPath(raw, pathOpts));
  const router = new LineRouter(collector, parser);
  if (isLogFile(input)) await readLogFile(input.file, router);
  else await readLogRegions(input, router);
  const lineCount = router.lineCount;
  const segments = collector.finish();
  if (collector.nonEmpty === 0) throw new EmptyLogError();

  const failed = findFailedSteps(segments, opts.steps);
  // Step names from the log are `Run <command>` headers, which can hold a secret like any other line.
  const failedSteps = failed.names.map(redactStrict);
  const excerpt = buildExcerpt(segments, failed.segments, {
    maxChars: maxExcerptChars,
    lineCount,
    keyCounts: collector.keyCounts,
    firstCommand: collector.firstCommand,
    ...(opts.baseline ? { seen: (text: string) => opts.baseline!.has(text) } : {}),
  });
  const annotations = errorsFirst(parser.finish()).map(redactAnnotation);
  const redactedExcerpt = redactStrict(excerpt.text);
  // Classification reads the redacted text: nothing downstream ever needs a secret's value.
  const category = classify(redactedExcerpt, annotations);
  const command = failed.segments.find((s) => s.command !== undefined)?.command;
  const result: LogAnalysis = {
    excerpt: redactedExcerpt,
    annotations,
    category,
    fingerprint: fingerprint({
      failedSteps,
      category,
      errorLines: errorLinesFor(failed.segments).map(redactStrict),
      annotations,
    }),
    truncated: excerpt.truncated,
    failedSteps,
    lineCount,
    keyLines: keyLines(
      failed.segments,
      (w, seg) => windowScore(w, seg, collector.keyCounts),
      opts.baseline ? (t) => opts.baseline!.has(t) : undefined,
    ).map(redactStrict),
  };
  if (command !== undefined) result.failedCommand = redactStrict(command);
  // Redaction rewrites within lines; should it ever join or split lines, the marks would point at the wrong ones.
  if (excerpt.seen && lineTotal(redactedExcerpt) === lineTotal(excerpt.text)) result.seenInBaseline = excerpt.seen;
  return result;
}
