// CiDiff (Jenkins and GitHub Actions logs): does the excerpt keep the lines marked `E` in groundtruth?

import fs from "node:fs";
import path from "node:path";
import { analyzeLog } from "../logs/analyze.js";
import { Baseline } from "../logs/baseline.js";
import { cleanLine } from "../logs/clean.js";
import { ciDiffRepository, foldOf } from "./folds.js";
import { excerptLineSet, normaliseLine, type RecallSummary, type ScoredLog, summarise } from "./measure.js";
import { excerptHead, opensWithNoise } from "./noise-head.js";
import { promptChars } from "./prompt-cost.js";

/** `E a-b` / `E n` lines of a groundtruth file as 1-based line numbers; `C` (context) lines are not required. */
export function parseGroundtruth(text: string): { format: string; errorLines: number[] } {
  const [format = "", ...rest] = text.split(/\r?\n/);
  const errorLines: number[] = [];
  for (const l of rest) {
    const m = /^E\s+(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(l.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let n = a; n <= b; n++) errorLines.push(n);
  }
  return { format: format.trim(), errorLines };
}

export interface CiDiffResult {
  summary: RecallSummary;
  rows: ScoredLog[];
  misses: { log: string; fold: number; missed: string[] }[];
}

export interface CiDiffOptions {
  maxExcerptChars?: number;
  /** Read each case's `pass.log` as the last green run (cases without one are left out). */
  baseline?: boolean;
}

export async function evalCiDiff(dataRoot: string, opts: CiDiffOptions = {}): Promise<CiDiffResult | undefined> {
  const base = path.join(dataRoot, "cidiff");
  if (!fs.existsSync(base)) return undefined;
  const { maxExcerptChars } = opts;
  const rows: ScoredLog[] = [];
  const misses: CiDiffResult["misses"] = [];
  let failures = 0;
  for (const group of fs.readdirSync(base).sort()) {
    const gdir = path.join(base, group);
    if (!fs.statSync(gdir).isDirectory()) continue;
    for (const c of fs.readdirSync(gdir).sort()) {
      const dir = path.join(gdir, c);
      const gt = path.join(dir, "groundtruth");
      const log = path.join(dir, "fail.log");
      const pass = path.join(dir, "pass.log");
      if (!fs.existsSync(gt) || !fs.existsSync(log)) continue;
      if (opts.baseline && !fs.existsSync(pass)) continue;
      const repository = ciDiffRepository(c);
      const fold = foldOf(repository);
      const { errorLines } = parseGroundtruth(fs.readFileSync(gt, "utf8"));
      // The labels count lines the way the CiDiff tool does: CR, LF and CRLF each end a line. Marked lines are
      // cleaned like the reader cleans them (runner timestamps, colour codes), since excerpts never carry those.
      const lines = fs.readFileSync(log, "utf8").split(/\r\n|\r|\n/);
      const marked = [
        ...new Set(errorLines.map((n) => normaliseLine(cleanLine(lines[n - 1] ?? ""))).filter((l) => l.length > 0)),
      ];
      if (marked.length === 0) continue;
      try {
        const baseline = opts.baseline ? await Baseline.fromChunks(fs.createReadStream(pass)) : undefined;
        const r = await analyzeLog(fs.createReadStream(log), {
          ...(maxExcerptChars ? { maxExcerptChars } : {}),
          ...(baseline ? { baseline } : {}),
        });
        const set = excerptLineSet(r.excerpt);
        const missed = marked.filter((l) => !set.has(l));
        rows.push({
          repository,
          fold,
          marked: marked.length,
          kept: marked.length - missed.length,
          bytes: Buffer.byteLength(r.excerpt),
          promptChars: promptChars(r),
          head: excerptHead(r.excerpt)?.text ?? "",
          noiseHead: opensWithNoise(r.excerpt, fs.readFileSync(log, "utf8")),
        });
        if (missed.length > 0) misses.push({ log: `${group}/${c}`, fold, missed });
      } catch {
        failures++;
      }
    }
  }
  return { summary: summarise(rows, failures), rows, misses };
}
