// LogChunks (Travis CI, many languages): does the excerpt keep the chunk a person marked as the failure reason?

import fs from "node:fs";
import path from "node:path";
import { analyzeLog } from "../logs/analyze.js";
import { Baseline } from "../logs/baseline.js";
import { foldOf } from "./folds.js";
import {
  excerptLineSet,
  excerptLines,
  isKept,
  normaliseLine,
  type RecallSummary,
  type ScoredLog,
  summarise,
} from "./measure.js";
import { excerptHead, opensWithNoise } from "./noise-head.js";
import { promptChars } from "./prompt-cost.js";

export interface LogChunksExample {
  log: string;
  chunk: string;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
}

export function parseLogChunksXml(xml: string): LogChunksExample[] {
  const out: LogChunksExample[] = [];
  for (const m of xml.matchAll(/<Example>([\s\S]*?)<\/Example>/g)) {
    const body = m[1]!;
    const log = /<Log>([\s\S]*?)<\/Log>/.exec(body)?.[1];
    const chunk = /<Chunk>([\s\S]*?)<\/Chunk>/.exec(body)?.[1];
    if (log && chunk !== undefined) out.push({ log: unescapeXml(log.trim()), chunk: unescapeXml(chunk) });
  }
  return out;
}

export interface LogChunksResult {
  summary: RecallSummary;
  rows: ScoredLog[];
  misses: { log: string; fold: number; missed: string[] }[];
}

export interface LogChunksOptions {
  maxExcerptChars?: number;
  /**
   * A stress test of the baseline: each log is compared with the previous log of the same repository (the last, for
   * the first), another failed run that often prints the same cause. The cause must then come back as context.
   * Repositories with one log are left out.
   */
  siblingBaseline?: boolean;
}

export async function evalLogChunks(
  dataRoot: string,
  opts: LogChunksOptions = {},
): Promise<LogChunksResult | undefined> {
  const { maxExcerptChars } = opts;
  const base = path.join(dataRoot, "logchunks");
  const labels = path.join(base, "build-failure-reason");
  if (!fs.existsSync(labels)) return undefined;
  const rows: ScoredLog[] = [];
  const misses: LogChunksResult["misses"] = [];
  let failures = 0;
  for (const lang of fs.readdirSync(labels).sort()) {
    const dir = path.join(labels, lang);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const file of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".xml"))
      .sort()) {
      // `owner@repo.xml`: the repository decides the fold.
      const repository = file.replace(/\.xml$/, "");
      const fold = foldOf(repository);
      const examples = parseLogChunksXml(fs.readFileSync(path.join(dir, file), "utf8")).filter((ex) =>
        fs.existsSync(path.join(base, "logs", ex.log)),
      );
      if (opts.siblingBaseline && examples.length < 2) continue;
      for (const [i, ex] of examples.entries()) {
        const logPath = path.join(base, "logs", ex.log);
        const sibling = examples[(i + examples.length - 1) % examples.length]!;
        const marked = [
          ...new Set(
            ex.chunk
              .split(/\r?\n|\r/)
              .map(normaliseLine)
              .filter((l) => l.length > 0),
          ),
        ];
        if (marked.length === 0) continue;
        try {
          const baseline = opts.siblingBaseline
            ? await Baseline.fromChunks(fs.createReadStream(path.join(base, "logs", sibling.log)))
            : undefined;
          const r = await analyzeLog(fs.createReadStream(logPath), {
            ...(maxExcerptChars ? { maxExcerptChars } : {}),
            ...(baseline ? { baseline } : {}),
          });
          const set = excerptLineSet(r.excerpt);
          const lines = excerptLines(r.excerpt);
          const missed = marked.filter((l, i) => !isKept(l, i === 0 || i === marked.length - 1, set, lines));
          rows.push({
            repository,
            fold,
            marked: marked.length,
            kept: marked.length - missed.length,
            bytes: Buffer.byteLength(r.excerpt),
            promptChars: promptChars(r),
            head: excerptHead(r.excerpt)?.text ?? "",
            noiseHead: opensWithNoise(r.excerpt, fs.readFileSync(logPath, "utf8")),
          });
          if (missed.length > 0) misses.push({ log: ex.log, fold, missed });
        } catch {
          failures++;
        }
      }
    }
  }
  return { summary: summarise(rows, failures), rows, misses };
}
