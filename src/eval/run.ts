// `npm run eval`: measures the log excerpts against labelled real CI logs and writes EVALUATION.md.
// Data: ../shared/data relative to the working directory, or CI_MEDIC_DATA_DIR. Absent data is not an error.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { evalCiDiff } from "./cidiff.js";
import { evalGhaLogs } from "./gha-logs.js";
import { evalLogChunks } from "./logchunks.js";
import { kb, pct, RECALL_HEADER, recallTable } from "./measure.js";

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
  const cd = await evalCiDiff(dataRoot);
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
  if (!lc && !cd) parts.push("| (no labelled logs found) | | | | | | | | |");
  parts.push(
    "",
    'Reading the table: "marked lines kept" pools all lines, so a few huge labels dominate it (LogChunks has chunks of',
    '400 KB and 1,500 lines, CiDiff one of 700 lines, far beyond a 32,000-char excerpt); "mean share per log" weighs',
    "every failure once and is the figure the targets refer to. The rules are general (anchors, failure-report headers,",
    "command exits, step tails, ranking by position and distinctiveness); none is keyed to a project of these sets.",
  );
  const failures = (lc?.summary.failures ?? 0) + (cd?.summary.failures ?? 0);
  if (failures > 0) parts.push("", `${failures} log(s) could not be analysed (counted as not kept).`);
  parts.push("", "## Failed step on raw GitHub Actions logs (gha-logs)", "");
  if (gha) {
    parts.push(
      "The failed step is the jobs API step with conclusion `failure`; its lines are found by its start/end timestamps.",
      "",
      "| jobs | failed step named | last 5 lines of failed step kept | excerpt lines inside failed step (mean) | median excerpt |",
      "|---|---|---|---|---|",
      `| ${gha.jobs} | ${gha.stepNamed}/${gha.jobs} | ${gha.lastLinesKept}/${gha.jobs} | ${pct(gha.meanShareInFailedStep)} | ${kb(gha.medianBytes)} |`,
    );
  } else parts.push("_gha-logs not found._");
  parts.push("", "## Annotation parsers (errorformat)", "", await errorformatSection(dataRoot), "");
  if (verbose) {
    for (const m of [...(lc?.misses ?? []), ...(cd?.misses ?? [])])
      console.error(`MISS ${m.log}\n  ${m.missed.slice(0, 5).join("\n  ")}`);
    for (const m of gha?.misses ?? []) console.error(`GHA MISS ${m}`);
  }
  return parts.join("\n");
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
