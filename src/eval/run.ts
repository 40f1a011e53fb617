// `npm run eval`: measures the log excerpts against labelled real CI logs and writes EVALUATION.md.
// Data: ../shared/data relative to the working directory, or CI_MEDIC_DATA_DIR. Absent data is not an error.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { evalCiDiff } from "./cidiff.js";
import { FOLDS, HELD_OUT_FOLDS, TUNING_FOLDS } from "./folds.js";
import { evalGhaLogs, type GhaResult } from "./gha-logs.js";
import { evalLogChunks } from "./logchunks.js";
import { foldTable, kb, pct, promptCostRow, RECALL_HEADER, recallTable, type ScoredLog } from "./measure.js";
import { CHARS_PER_TOKEN } from "./prompt-cost.js";

export function resolveDataRoot(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.CI_MEDIC_DATA_DIR ? path.resolve(env.CI_MEDIC_DATA_DIR) : path.resolve(cwd, "../shared/data");
}

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

/** The errorformat evaluation belongs to another module; it is optional here. */
async function errorformatSection(dataRoot: string): Promise<string> {
  try {
    const modulePath = "./errorformat.js";
    const mod = (await import(modulePath)) as { evalErrorformat?: (root: string) => Promise<{ markdown: string }> };
    if (typeof mod.evalErrorformat !== "function")
      return "_errorformat evaluation unavailable (no evalErrorformat export)._";
    return (await mod.evalErrorformat(dataRoot)).markdown;
  } catch (err) {
    return `_errorformat evaluation skipped: ${(err as Error).message.split("\n")[0]}._`;
  }
}

export async function runEvaluation(dataRoot: string): Promise<string> {
  const verbose = process.env.CI_MEDIC_EVAL_VERBOSE === "1";
  const lc = await evalLogChunks(dataRoot);
  const lcSibling = await evalLogChunks(dataRoot, { siblingBaseline: true });
  const cd = await evalCiDiff(dataRoot);
  const cdBase = await evalCiDiff(dataRoot, { baseline: true });
  const gha = await evalGhaLogs(dataRoot);
  const parts: string[] = [
    "# Evaluation",
    "",
    `Written by \`npm run eval\` · ${new Date().toISOString().slice(0, 10)} · commit ${commit()} · ${os.cpus().length}× ${os.cpus()[0]?.model ?? "CPU"} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version}`,
    "",
    "## Log excerpts (src/logs)",
    "",
    "Excerpts with the default budget (32,000 chars). A marked line counts as kept when the excerpt has the same line",
    "after removing colour codes and collapsing whitespace. LogChunks marks the chunk a person named as the failure reason;",
    "CiDiff marks error lines (`E`). Shares are over all marked lines (micro) and per log (macro). People marked text",
    "regions, so the first and last line of a LogChunks chunk also count as kept when an excerpt line contains them;",
    "the labels lost ESC bytes and `<` in export, which are ignored on both sides; CiDiff lines are cleaned like the",
    "reader cleans them (runner timestamps). A log that cannot be analysed counts as nothing kept.",
    "",
    RECALL_HEADER,
  ];
  if (lc) parts.push(recallTable("LogChunks (Travis)", lc.summary, "≥95% kept, median ≤16 KB"));
  if (cd) parts.push(recallTable("CiDiff (Jenkins, GHA)", cd.summary, "≥98% kept, median ≤16 KB"));
  if (cdBase) parts.push(recallTable("CiDiff, with pass.log as baseline", cdBase.summary, "≥98% kept, median ≤6 KB"));
  if (!lc && !cd) parts.push("| (no labelled logs found) | | | | | | | | |");
  parts.push(
    "",
    'Reading the table: "marked lines kept" pools all lines, so a few huge labels dominate it (LogChunks has chunks of',
    '400 KB and 1,500 lines, CiDiff one of 700 lines, far beyond a 32,000-char excerpt); "mean share per log" weighs',
    "every failure once and is the figure the targets refer to. The rules are general (anchors, failure-report headers,",
    "command exits, step tails, ranking by position and distinctiveness); none is keyed to a project of these sets.",
  );
  const folds = { count: FOLDS, tuning: TUNING_FOLDS, heldOut: HELD_OUT_FOLDS };
  parts.push(
    "",
    "### By repository fold (tuned and held-out figures)",
    "",
    `The development data is split by repository into ${FOLDS} fixed folds (FNV-1a of the lower-cased repository name`,
    "modulo 5, src/eval/folds.ts; LogChunks: the `owner@repo` of the label file; CiDiff: the case name without its build",
    "number), so the split is the same at every commit and a repository never straddles two folds. The rules are written",
    `by hand, so they cannot be refitted per fold; the method instead: misses are read only in folds ${TUNING_FOLDS.join(", ")}`,
    `(tuning); folds ${HELD_OUT_FOLDS.join(" and ")} are only ever scored, never read, and a rule change lands only if it`,
    "does not lower the held-out figure. The held-out row is the estimate of how the rules do on repositories nobody",
    "tuned for. Caveat: rules older than this split were written while looking at all folds, so for them the held-out",
    "figure is optimistic; the LogChunks repositories kept aside by the issue's author (29 repositories, 290 logs) are not",
    "in ../shared/data and could not be scored here.",
    "",
  );
  parts.push(
    "The baseline rows read each CiDiff case's `pass.log` as the last green run (src/logs/baseline.ts): the excerpt is",
    "built from the lines the passing log did not print, then lines it printed too are added as context within 4,000",
    "characters, in the order the excerpt without a baseline takes lines: the failed step's last 20 lines, then the",
    "strongest error windows by the same ranking (whole when they fit, else their errors), then short gaps between kept",
    "lines, then the best windows' other lines. So a cause both runs print (a warning that became an error, a report",
    "both runs show) comes first among the context, not the head of the biggest window. Lines are compared after masking",
    "what changes between runs (clock times and dates, also with month names; durations, also `01:59 min` and",
    "`1m26.4s`; sizes, rates, progress counters, CPU times, TAP ordinals; ids, hashes, temporary paths, ports, pids).",
    "The 4,000-character budget was picked earlier among 1,500–5,000 and was not retuned. The context order was chosen on",
    "the tuning folds of a stress test, since the tuning CiDiff cases miss only what no budget keeps (guava's 291 marked",
    "lines): each LogChunks log compared with the previous log of the same repository, a failed run that often prints",
    "the same cause, which must then come back as context (last table below; repositories with one log left out). On",
    "its tuning folds the previous order kept 85.3% per log, this one 87.1%, with the other rules of that time. For",
    "reference, keeping only the lines absent from pass.log keeps ~91% at ~3 KB here. A caveat on this change: while",
    "the order was being chosen, the held-out aggregate of five early variants was looked at (figures only, never a",
    "miss or a log), so the held-out CiDiff baseline figure is somewhat optimistic.",
    "",
  );
  if (lc) parts.push(foldTable("LogChunks", lc.rows, folds), "");
  if (cd) parts.push(foldTable("CiDiff", cd.rows, folds), "");
  if (cdBase) parts.push(foldTable("CiDiff + baseline", cdBase.rows, folds), "");
  if (lcSibling) parts.push(foldTable("LogChunks + previous log (stress)", lcSibling.rows, folds), "");
  parts.push(
    "## Cost per diagnosis",
    "",
    "The diagnosis prompt (system text + request, one failed job, no workflow file) built for each evaluation log by",
    `src/diagnosis/prompt.ts; tokens estimated as characters / ${CHARS_PER_TOKEN}.`,
    "",
    "| logs | n | median chars | median tokens (est.) | p90 chars | p90 tokens (est.) |",
    "|---|---|---|---|---|---|",
  );
  if (lc) parts.push(promptCostRow("LogChunks", lc.summary, CHARS_PER_TOKEN));
  if (cd) parts.push(promptCostRow("CiDiff, no baseline", cd.summary, CHARS_PER_TOKEN));
  if (cdBase) parts.push(promptCostRow("CiDiff, with baseline", cdBase.summary, CHARS_PER_TOKEN));
  const failures = (lc?.summary.failures ?? 0) + (cd?.summary.failures ?? 0);
  if (failures > 0) parts.push("", `${failures} log(s) could not be analysed (counted as not kept).`);
  parts.push("", ...noiseHeadSection(lc?.rows, cd?.rows, cdBase?.rows, gha));
  parts.push("", "## Failed step on raw GitHub Actions logs (gha-logs)", "");
  if (gha) {
    parts.push(
      "The failed step is the jobs API step with conclusion `failure`; its lines are found by its start/end timestamps.",
      "",
      "| jobs | failed step named | last 5 lines of failed step kept | excerpt lines inside failed step (mean) | median excerpt |",
      "|---|---|---|---|---|",
      `| ${gha.jobs} | ${gha.stepNamed}/${gha.jobs} | ${gha.lastLinesKept}/${gha.jobs} | ${pct(gha.meanShareInFailedStep)} | ${kb(gha.medianBytes)} |`,
    );
    parts.push(
      "",
      "### Annotations and categories (gha-logs)",
      "",
      `Jobs with a file:line a person would annotate: ${gha.annotatable}/${gha.jobs}; jobs with at least one annotation: ${gha.withAnnotation}/${gha.jobs} (${pct(gha.withAnnotation / Math.max(1, gha.jobs))}); jobs with the first but not the second: ${gha.annotatableMissed.length}${gha.annotatableMissed.length > 0 ? ` (${gha.annotatableMissed.map((j) => `\`${j}\``).join(", ")})` : ""}; with category \`unknown\`: ${gha.categories.get("unknown")?.count ?? 0}/${gha.jobs} (${pct((gha.categories.get("unknown")?.count ?? 0) / Math.max(1, gha.jobs))}).`,
      "A job has a file:line a person would annotate when its log locates an error or warning in the repository's own",
      "files (src/eval/annotatable.ts, written apart from the parsers): a diagnostic with `path:line[:col]` or",
      "`path(line,col)` on its line or on the location line under it (tsc, Angular, esbuild, Sass), or a failed test",
      "whose stack trace has a frame in the repository (Karma, Jest). Not counted: frames under node_modules, the",
      "runner's actions or Go's module cache, console output of passing tests, and stack frames of API errors that a",
      "script logged (four jobs hit GitHub's rate limit). The other jobs fail before any tool prints a file and line",
      "(installs, git, Dependabot, missing npm scripts, an ESLint configuration crash, API limits), so they have",
      "nothing to annotate. Per category, up to three examples (one per workflow) with the first key line, to check",
      "by hand under `../shared/data/gha-logs/`:",
      "",
      "| category | jobs | examples (job folder: key line) |",
      "|---|---|---|",
    );
    const cell = (t: string) => t.replace(/\|/g, "\\|").replace(/`/g, "'").slice(0, 140);
    for (const [cat, { count, examples }] of [...gha.categories].sort((a, b) => b[1].count - a[1].count))
      parts.push(`| ${cat} | ${count} | ${examples.map((e) => `\`${e.job}\`: ${cell(e.keyLine)}`).join("<br>")} |`);
  } else parts.push("_gha-logs not found._");
  parts.push("", "## Annotation parsers (errorformat)", "", await errorformatSection(dataRoot), "");
  if (verbose) {
    // Misses of held-out folds are never printed: reading them would make those folds tuning data.
    for (const m of [
      ...(lc?.misses ?? []),
      ...(cd?.misses ?? []),
      ...(cdBase?.misses ?? []),
      ...(lcSibling?.misses ?? []),
    ])
      if (TUNING_FOLDS.includes(m.fold)) console.error(`MISS ${m.log}\n  ${m.missed.slice(0, 5).join("\n  ")}`);
    for (const m of gha?.misses ?? []) console.error(`GHA MISS ${m}`);
  }
  return parts.join("\n");
}

/** Excerpts whose first line is noise (src/eval/noise-head.ts), now and at the commit before the rule. */
function noiseHeadSection(
  lc: ScoredLog[] | undefined,
  cd: ScoredLog[] | undefined,
  cdBase: ScoredLog[] | undefined,
  gha: GhaResult | undefined,
): string[] {
  const count = (rows: ScoredLog[]) => `${rows.filter((r) => r.noiseHead).length}/${rows.length}`;
  const out = [
    "## Excerpts that open with noise",
    "",
    "The issue's rule: environment dumps, package manager progress, sudoers and system banners must never head an",
    "excerpt. An excerpt opens with noise when its first line (after the leading cut marker) is classified as noise by",
    "src/logs/noise.ts (licence and copyright text, version banners and build options, system-information and",
    "environment dumps, variable assignments, sudo's settings and lecture, run-as-root and update notices, package",
    "managers', git's and docker's progress) or lies before the log's first command (`$ cmd` or `##[group]Run`: the",
    "runner's worker and system information), and is no unmistakable error (anchor strength 3: an error worded like",
    "noise, `can not run elasticsearch as root`, is the failure itself). Before this rule (commit 521f574, same",
    "definition but for that exemption, which then held in the preamble only) 313 of 507 LogChunks excerpts opened with",
    "noise, 133 of the 337 in the tuning folds with the last lines of `zip -v`'s licence notice (`and, to the best of",
    "our knowledge, can be freely distributed`, kept for the `License Exception` two lines below it), others with",
    "Travis' worker information, `+VAR=…` traces, root warnings or package progress; CiDiff and gha-logs had none. The",
    "excerpt now demotes a vague error word in such a line and drops such lines from its head.",
    "",
    "| logs | excerpts opening with noise | before (521f574) |",
    "|---|---|---|",
  ];
  if (lc) {
    out.push(`| LogChunks | ${count(lc)} | 313/507 |`);
    out.push(`| LogChunks, tuning folds 0–2 | ${count(lc.filter((r) => TUNING_FOLDS.includes(r.fold)))} | 218/337 |`);
  }
  if (cd) out.push(`| CiDiff | ${count(cd)} | 0/29 |`);
  if (cdBase) out.push(`| CiDiff, with baseline | ${count(cdBase)} | 0/29 |`);
  if (gha) out.push(`| gha-logs | ${gha.noiseHeads}/${gha.jobs} | 0/129 |`);
  if (lc) {
    // Only the tuning folds' first lines are shown: the held-out folds' logs are never read.
    const heads = new Map<string, number>();
    for (const r of lc)
      if (TUNING_FOLDS.includes(r.fold) && r.head !== undefined) {
        const key = r.head.trim().replace(/\d+/g, "N").slice(0, 90);
        heads.set(key, (heads.get(key) ?? 0) + 1);
      }
    const top = [...heads].sort((a, b) => b[1] - a[1]).slice(0, 8);
    out.push(
      "",
      "Most frequent first lines of the tuning folds' LogChunks excerpts (digits as N), to check by eye:",
      "",
      ...top.map(([line, n]) => `- ${n}× \`${line.replace(/`/g, "'")}\``),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const dataRoot = resolveDataRoot();
  if (!fs.existsSync(dataRoot)) {
    console.log(
      `evaluation skipped: ../shared/data not found (looked in ${dataRoot}; set CI_MEDIC_DATA_DIR to point elsewhere)`,
    );
    return;
  }
  const markdown = await runEvaluation(dataRoot);
  fs.writeFileSync(path.resolve("EVALUATION.md"), `${markdown.trim()}\n`);
  console.log(markdown);
  console.log("\nwritten to EVALUATION.md");
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
