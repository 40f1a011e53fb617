// CiDiff (Jenkins and GitHub Actions logs): does the excerpt keep the lines marked `E` in groundtruth?

import fs from "node:fs";
import path from "node:path";
import { analyzeLog } from "../logs/analyze.js";
import { cleanLine } from "../logs/clean.js";
import { excerptLineSet, normaliseLine, type RecallSummary, summarise } from "./measure.js";

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
  misses: { log: string; missed: string[] }[];
}

export async function evalCiDiff(dataRoot: string, maxExcerptChars?: number): Promise<CiDiffResult | undefined> {
  const base = path.join(dataRoot, "cidiff");
  if (!fs.existsSync(base)) return undefined;
  const rows: { marked: number; kept: number; bytes: number }[] = [];
  const misses: CiDiffResult["misses"] = [];
  let failures = 0;
  for (const group of fs.readdirSync(base).sort()) {
    const gdir = path.join(base, group);
    if (!fs.statSync(gdir).isDirectory()) continue;
    for (const c of fs.readdirSync(gdir).sort()) {
      const dir = path.join(gdir, c);
      const gt = path.join(dir, "groundtruth");
      const log = path.join(dir, "fail.log");
      if (!fs.existsSync(gt) || !fs.existsSync(log)) continue;
      const { errorLines } = parseGroundtruth(fs.readFileSync(gt, "utf8"));
      // The labels count lines the way the CiDiff tool does: CR, LF and CRLF each end a line. Marked lines are
      // cleaned like the reader cleans them (runner timestamps, colour codes), since excerpts never carry those.
      const lines = fs.readFileSync(log, "utf8").split(/\r\n|\r|\n/);
      const marked = [
        ...new Set(errorLines.map((n) => normaliseLine(cleanLine(lines[n - 1] ?? ""))).filter((l) => l.length > 0)),
      ];
      if (marked.length === 0) continue;
      try {
        const r = await analyzeLog(fs.createReadStream(log), maxExcerptChars ? { maxExcerptChars } : {});
        const set = excerptLineSet(r.excerpt);
        const missed = marked.filter((l) => !set.has(l));
        rows.push({ marked: marked.length, kept: marked.length - missed.length, bytes: Buffer.byteLength(r.excerpt) });
        if (missed.length > 0) misses.push({ log: `${group}/${c}`, missed });
      } catch {
        failures++;
      }
    }
  }
  return { summary: summarise(rows, failures), misses };
}
