// gha-logs (raw GitHub Actions logs + jobs API metadata): does the excerpt come from the failed step?

import fs from "node:fs";
import path from "node:path";
import { analyzeLog } from "../logs/analyze.js";
import { cleanLine, timestampLength } from "../logs/clean.js";
import type { StepInfo } from "../logs/types.js";
import { annotatableLine } from "./annotatable.js";
import { excerptLineSet, median, normaliseLine } from "./measure.js";
import { excerptHead, opensWithNoise } from "./noise-head.js";

export interface GhaResult {
  jobs: number;
  /** Jobs whose failed step (by the API's timestamps) ends with lines the excerpt keeps. */
  lastLinesKept: number;
  /** Jobs where the API's failed step name is reported as failed. */
  stepNamed: number;
  /** Share of excerpt lines (not markers, not blank) that lie inside the failed step's time range. */
  meanShareInFailedStep: number;
  medianBytes: number;
  failures: number;
  misses: string[];
  /** Jobs with at least one annotation. */
  withAnnotation: number;
  /** Jobs whose log locates an error in the repository (see annotatable.ts), and those of them left unannotated. */
  annotatable: number;
  annotatableMissed: string[];
  /** Jobs whose excerpt opens with noise (see noise-head.ts), and each excerpt's first line. */
  noiseHeads: number;
  heads: string[];
  /** Jobs per category, with up to three examples each (job folder and first key line). */
  categories: Map<string, { count: number; examples: { job: string; keyLine: string }[] }>;
}

function findJobDirs(root: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) findJobDirs(p, out);
    else if (e.name === "job-metadata.json" && fs.existsSync(path.join(root, "logs.txt"))) out.push(root);
  }
  return out;
}

/**
 * Lines of the failed step, by the jobs API's times (whole seconds) and the runner's step markers: from the first
 * `##[group]Run` at or after started_at to the next step marker at or after completed_at.
 */
function linesInStep(raw: string, step: StepInfo): string[] {
  const from = Date.parse(step.started_at ?? "");
  const to = Date.parse(step.completed_at ?? "") + 1000;
  if (Number.isNaN(from) || Number.isNaN(to)) return [];
  const window: { t: number; text: string }[] = [];
  for (const line of raw.split("\n")) {
    const ts = timestampLength(line);
    if (ts === 0) continue;
    const t = Date.parse(line.slice(0, ts).trim());
    if (t >= from && t < to) window.push({ t, text: cleanLine(line) });
  }
  const isBoundary = (text: string) => text.startsWith("##[group]Run ") || text === "Post job cleanup.";
  // Several steps can share the API's second: split the window at the runner's step markers and take the part that
  // holds a `##[error]` (the last part when none does).
  const parts: { t: number; text: string }[][] = [[]];
  for (const l of window) {
    if (isBoundary(l.text) && parts[parts.length - 1]!.length > 0) parts.push([]);
    parts[parts.length - 1]!.push(l);
  }
  const real = parts.filter((p) => p[0]?.text !== "Post job cleanup.");
  const chosen = real.find((p) => p.some((l) => l.text.startsWith("##[error]"))) ?? real[real.length - 1] ?? [];
  return chosen.map((l) => normaliseLine(l.text)).filter((l) => l.length > 0);
}

export async function evalGhaLogs(dataRoot: string): Promise<GhaResult | undefined> {
  const base = path.join(dataRoot, "gha-logs");
  if (!fs.existsSync(base)) return undefined;
  const res: GhaResult = {
    jobs: 0,
    lastLinesKept: 0,
    stepNamed: 0,
    meanShareInFailedStep: 0,
    medianBytes: 0,
    failures: 0,
    misses: [],
    withAnnotation: 0,
    annotatable: 0,
    annotatableMissed: [],
    noiseHeads: 0,
    heads: [],
    categories: new Map(),
  };
  const sizes: number[] = [];
  let shareSum = 0;
  for (const dir of findJobDirs(base).sort()) {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "job-metadata.json"), "utf8")) as { steps?: StepInfo[] };
    const steps = meta.steps ?? [];
    const failedStep = steps.find((s) => s.conclusion === "failure");
    if (!failedStep) continue;
    const raw = fs.readFileSync(path.join(dir, "logs.txt"), "utf8");
    try {
      const r = await analyzeLog(fs.createReadStream(path.join(dir, "logs.txt")), { steps });
      res.jobs++;
      sizes.push(Buffer.byteLength(r.excerpt));
      if (opensWithNoise(r.excerpt, raw)) res.noiseHeads++;
      res.heads.push(excerptHead(r.excerpt)?.text ?? "");
      if (r.annotations.length > 0) res.withAnnotation++;
      if (annotatableLine(raw.split("\n").map(cleanLine)) !== undefined) {
        res.annotatable++;
        if (r.annotations.length === 0) res.annotatableMissed.push(path.relative(base, dir));
      }
      const cat = res.categories.get(r.category) ?? { count: 0, examples: [] };
      cat.count++;
      // One example per workflow at most, so the examples show different failures.
      const job = path.relative(base, dir);
      const workflow = job.split(path.sep).slice(-3)[0];
      if (cat.examples.length < 3 && !cat.examples.some((e) => e.job.split(path.sep).slice(-3)[0] === workflow))
        cat.examples.push({ job, keyLine: r.keyLines[0] ?? "(none)" });
      res.categories.set(r.category, cat);
      if (r.failedSteps.includes(failedStep.name)) res.stepNamed++;
      const inStep = linesInStep(raw, failedStep);
      const stepSet = new Set(inStep);
      const kept = excerptLineSet(r.excerpt);
      const last = inStep.slice(-5);
      if (last.length > 0 && last.every((l) => kept.has(l))) res.lastLinesKept++;
      else res.misses.push(path.relative(base, dir));
      const content = [...kept].filter((l) => !l.startsWith("… ") && !l.startsWith("[REDACTED"));
      shareSum += content.length ? content.filter((l) => stepSet.has(l)).length / content.length : 0;
    } catch {
      res.failures++;
    }
  }
  res.meanShareInFailedStep = res.jobs ? shareSum / res.jobs : 0;
  res.medianBytes = median(sizes);
  return res;
}
