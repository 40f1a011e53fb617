#!/usr/bin/env node
// `ci-medic diagnose <log file | -> [--json] [--steps <jobs.json>] [--baseline <pass.log>] [--ai]`: the log analysis,
// locally, on one log.

import fs from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { tuneHeapFor } from "./cli-heap.js";
import { markNewLines } from "./diagnosis/prompt.js";
import { evidenceOfLog } from "./diagnosis/types.js";
import { analyzeLog, BinaryLogError, EmptyLogError, type LogFile, RedactionError } from "./logs/analyze.js";
import { Baseline } from "./logs/baseline.js";
import type { LogAnalysis, StepInfo } from "./logs/types.js";

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env?: NodeJS.ProcessEnv;
  /** Told the log's size (undefined for stdin) before it is read: the command sets V8's heap policy (cli-heap.ts). */
  tuneHeap?: (logBytes: number | undefined) => void;
}

const USAGE = "usage: ci-medic diagnose <log file | -> [--json] [--steps <jobs.json>] [--baseline <pass.log>] [--ai]";

/** A user error: one line on stderr, exit code 2. */
class UsageError extends Error {}

interface Args {
  input: string;
  json: boolean;
  ai: boolean;
  steps?: string;
  baseline?: string;
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== "diagnose") throw new UsageError(command ? `unknown command: ${command}` : USAGE);
  const args: Partial<Args> = { json: false, ai: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--json") args.json = true;
    else if (a === "--ai") args.ai = true;
    else if (a === "--steps") {
      const v = rest[++i];
      if (!v) throw new UsageError("--steps needs a jobs JSON file");
      args.steps = v;
    } else if (a.startsWith("--steps=")) args.steps = a.slice(8);
    else if (a === "--baseline") {
      const v = rest[++i];
      if (!v) throw new UsageError("--baseline needs the log of a passing run");
      args.baseline = v;
    } else if (a.startsWith("--baseline=")) args.baseline = a.slice(11);
    else if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown flag: ${a}`);
    else if (args.input === undefined) args.input = a;
    else throw new UsageError(`unexpected argument: ${a}`);
  }
  if (args.input === undefined) throw new UsageError(`missing log file (${USAGE})`);
  return args as Args;
}

function checkFile(file: string, what: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new UsageError(`${what} not found: ${file}`);
  }
  if (st.isDirectory()) throw new UsageError(`${what} is a directory: ${file}`);
  return st;
}

/** A jobs-API job (`{steps}`) or a jobs listing (`{jobs:[…]}`, first failed job taken). */
export function stepsFromJobsJson(text: string): StepInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError("--steps file is not valid JSON");
  }
  const obj = data as { steps?: unknown; jobs?: { steps?: unknown; conclusion?: string }[] };
  let steps: unknown = obj?.steps;
  if (steps === undefined && Array.isArray(obj?.jobs)) {
    const job = obj.jobs.find((j) => j?.conclusion === "failure") ?? obj.jobs[0];
    steps = job?.steps;
  }
  if (!Array.isArray(steps))
    throw new UsageError("--steps file has no steps (expected a job with `steps` or `{jobs:[…]}`)");
  return steps.filter(
    (s): s is StepInfo => typeof s === "object" && s !== null && typeof (s as StepInfo).name === "string",
  );
}

/**
 * Output meant for a terminal and for copying: the zero-width spaces that defuse @mentions in GitHub comments (the
 * diagnosis module adds them) would break `@scope/package` when pasted, and bidirectional controls can make a line
 * read differently from what it is. Nothing here is posted to GitHub.
 */
export function forTerminal(text: string): string {
  return text.replace(/@\u200b/g, "@").replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, "");
}

/** What both outputs show: the text output prints these fields, --json carries exactly them. */
function report(r: LogAnalysis, baseline: { file: string; lines: number } | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {
    keyLines: r.keyLines,
    category: r.category,
    failedSteps: r.failedSteps,
    failedCommand: r.failedCommand ?? null,
    fingerprint: r.fingerprint,
    annotations: r.annotations,
    lineCount: r.lineCount,
    truncated: r.truncated,
    excerpt: r.excerpt,
  };
  if (baseline) {
    out.baseline = { ...baseline, excerptLinesSeen: r.seenInBaseline ?? [] };
  }
  return out;
}

function formatText(r: LogAnalysis, baseline: { file: string; lines: number } | undefined): string {
  const out: string[] = [];
  // What a person would quote first; the rest explains and locates it.
  if (r.keyLines.length > 0) out.push(...r.keyLines, "");
  out.push(`category: ${r.category}`);
  if (r.failedSteps.length > 0) out.push(`failed step: ${r.failedSteps.join(", ")}`);
  if (r.failedCommand)
    out.push(`failed command: ${r.failedCommand.split("\n")[0]}${r.failedCommand.includes("\n") ? " …" : ""}`);
  out.push(`fingerprint: ${r.fingerprint}`);
  out.push(`annotations: ${r.annotations.length}${r.annotations.length > 0 ? " (errors first)" : ""}`);
  for (const a of r.annotations) {
    const loc = `${a.path}:${a.startLine}${a.column !== undefined ? `:${a.column}` : ""}`;
    out.push(`  ${loc} ${a.level} ${a.title} ${a.message.split("\n")[0]}`);
  }
  let excerpt = r.excerpt;
  if (baseline && r.seenInBaseline) {
    const seen = r.seenInBaseline.length;
    out.push(
      `baseline: ${baseline.file} (${baseline.lines} lines); lines marked + are not in it (${seen} excerpt line${seen === 1 ? "" : "s"} are)`,
    );
    excerpt = markNewLines({ excerpt, seenInBaseline: r.seenInBaseline });
  }
  out.push(`excerpt${r.truncated ? " (truncated)" : ""}, ${r.lineCount} lines read:`);
  out.push(excerpt);
  return `${out.join("\n")}\n`;
}

/** The LLM diagnosis, when a provider is configured and the diagnosis module is present; otherwise a reason. */
async function aiDiagnosis(r: LogAnalysis, env: NodeJS.ProcessEnv): Promise<{ diagnosis?: unknown; reason?: string }> {
  const noKey =
    "--ai: no LLM API key set (GEMINI_API_KEY, or LLM_PROVIDER=openai with OPENAI_API_KEY); showing the deterministic result only";
  try {
    // Variables keep tsc from resolving modules another engineer owns: the CLI must build and run without them.
    const diagnosePath = "./diagnosis/diagnose.js";
    const fromEnvPath = "./diagnosis/llm/from-env.js";
    const { createProviderFromEnv } = (await import(fromEnvPath)) as {
      createProviderFromEnv?: (env: NodeJS.ProcessEnv) => unknown;
    };
    if (typeof createProviderFromEnv !== "function")
      return { reason: "AI diagnosis unavailable: no createProviderFromEnv in the diagnosis module" };
    const provider = createProviderFromEnv(env);
    if (!provider) return { reason: noKey };
    const { diagnose } = (await import(diagnosePath)) as {
      diagnose?: (input: unknown, deps: unknown) => Promise<unknown>;
    };
    if (typeof diagnose !== "function")
      return { reason: "AI diagnosis unavailable: no diagnose() in the diagnosis module" };
    const input = {
      repository: "local",
      workflowName: "(local log)",
      headBranch: null,
      headSha: "",
      jobs: [evidenceOfLog("(local log)", r)],
    };
    return { diagnosis: await diagnose(input, { provider }) };
  } catch (err) {
    return { reason: `AI diagnosis unavailable: ${(err as Error).message.split("\n")[0]}` };
  }
}

function formatDiagnosis(d: unknown): string {
  const x = d as {
    summary?: string;
    rootCause?: string;
    suggestedFix?: string;
    confidence?: number;
    source?: string;
    model?: string;
  };
  return [
    "",
    `AI diagnosis (${x.source ?? "?"}${x.model ? `, ${x.model}` : ""}${x.confidence !== undefined ? `, confidence ${x.confidence}` : ""}):`,
    `summary: ${x.summary ?? ""}`,
    `root cause: ${x.rootCause ?? ""}`,
    `suggested fix: ${x.suggestedFix ?? ""}`,
    "",
  ].join("\n");
}

/** Runs the CLI; resolves to the exit code (0 ok, 2 usage or input error, 1 unexpected failure). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  const fail = (msg: string, code = 2) => {
    io.stderr.write(`ci-medic: ${msg}\n`);
    return code;
  };
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const args = parseArgs(argv);
    let steps: StepInfo[] | undefined;
    if (args.steps) {
      checkFile(args.steps, "steps file");
      steps = stepsFromJobsJson(fs.readFileSync(args.steps, "utf8"));
    }
    let baseline: Baseline | undefined;
    if (args.baseline) {
      checkFile(args.baseline, "baseline log");
      baseline = await Baseline.fromChunks(fs.createReadStream(args.baseline));
    }
    let input: AsyncIterable<Buffer | string> | LogFile;
    if (args.input === "-") {
      input = io.stdin as AsyncIterable<Buffer | string>;
      io.tuneHeap?.(undefined);
    } else {
      const { size } = checkFile(args.input, "log file");
      io.tuneHeap?.(size);
      input = { file: args.input };
    }
    const result = await analyzeLog(input, { ...(steps ? { steps } : {}), ...(baseline ? { baseline } : {}) });
    const baselineInfo = baseline && args.baseline ? { file: args.baseline, lines: baseline.lines } : undefined;
    const ai = args.ai ? await aiDiagnosis(result, env) : {};
    if (ai.reason) io.stderr.write(`${ai.reason}\n`);
    if (args.json) {
      const obj = report(result, baselineInfo);
      if (ai.diagnosis !== undefined) obj.diagnosis = ai.diagnosis;
      io.stdout.write(`${forTerminal(JSON.stringify(obj))}\n`);
    } else {
      io.stdout.write(forTerminal(formatText(result, baselineInfo)));
      if (ai.diagnosis !== undefined) io.stdout.write(forTerminal(formatDiagnosis(ai.diagnosis)));
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message);
    if (err instanceof BinaryLogError) return fail("input looks binary, not a text log");
    if (err instanceof EmptyLogError) return fail("log is empty");
    if (err instanceof RedactionError) return fail(`${err.message}; nothing printed`);
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" || e.code === "EISDIR" || e.code === "EACCES") return fail(`cannot read input: ${e.code}`);
    return fail(`unexpected error: ${e.message?.split("\n")[0] ?? String(err)}`, 1);
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    tuneHeap: tuneHeapFor,
  });
}
