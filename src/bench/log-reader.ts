// Benchmark of the log reader, all in one run, each reader in its own child process so that its peak RSS is its own:
// the command line's path over a ~200 MB generated Actions log next to a naive readline+regex baseline (and its peak
// RSS again on a log ten times the size); the app's path over a 20 MB log held in memory, as bytes and as a string;
// and the line kinds computed in WebAssembly (teddy.wat `classify`) or in JavaScript (line-shape.ts), on both sizes.

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tuneHeapFor } from "../cli-heap.js";
import { analyzeLog } from "../logs/analyze.js";
import { AnnotationEngine } from "../logs/annotations/engine.js";
import { toRepoPath } from "../logs/annotations/paths.js";
import { readLogFile, readLogRegions } from "../logs/byte-reader.js";
import { LogCollector } from "../logs/collector.js";
import { LineRouter } from "../logs/line-router.js";
import { createCandidateScanner } from "../logs/scan/candidate-scanner.js";
import { machineLine, writeSection } from "./report.js";

const TARGET_BYTES = 200 * 1024 * 1024;
/** The app's cap on a downloaded log (LOG_MAX_BYTES' default). */
const APP_BYTES = 20 * 1024 * 1024;
const ERROR_PATTERN = /error|fail|fatal|panic|exception/i;
/** Read size of the stream row: what an HTTP download or a pipe hands over. */
const STREAM_CHUNK = 64 * 1024;

function ts(i: number): string {
  const ms = 1_700_000_000_000 + i * 3;
  return `${new Date(ms).toISOString().slice(0, 23)}${String(i % 10_000).padStart(4, "0")}Z`;
}

/** Writes a realistic raw job log: steps as `##[group]Run` blocks, colourised test output, progress bars, some errors. */
export function generateLog(file: string, targetBytes = TARGET_BYTES): number {
  const fd = fs.openSync(file, "w");
  let written = 0;
  let i = 0;
  let step = 0;
  try {
    fs.writeSync(fd, "\uFEFF");
    while (written < targetBytes) {
      const lines: string[] = [];
      step++;
      lines.push(`${ts(i++)} ##[group]Run npm run test:shard -- --shard=${step}`);
      lines.push(`${ts(i++)} npm run test:shard -- --shard=${step}`);
      lines.push(`${ts(i++)} shell: /usr/bin/bash -e {0}`);
      lines.push(`${ts(i++)} env:`);
      lines.push(`${ts(i++)}   NODE_OPTIONS: --max-old-space-size=4096`);
      lines.push(`${ts(i++)} ##[endgroup]`);
      for (let k = 0; k < 4000; k++) {
        const r = k % 10;
        if (k % 2000 === 1999) {
          // A retried flaky request with its stack, as test runners print them.
          lines.push(`${ts(i++)} Error: connect ECONNREFUSED 127.0.0.1:${5000 + (k % 1000)}`);
          for (let f = 0; f < 5; f++)
            lines.push(
              `${ts(i++)}     at Object.<anonymous> (/home/runner/work/app/app/src/module${f}/client.ts:${k % 300}:${f + 1})`,
            );
        } else if (k % 500 === 13)
          lines.push(`${ts(i++)} npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported`);
        else if (r === 0)
          lines.push(
            `${ts(i++)} \x1b[32m ✓ \x1b[39m src/module${k}/feature.test.ts \x1b[2m(12 tests)\x1b[22m \x1b[33m${k % 900}ms\x1b[39m`,
          );
        else if (r === 7) lines.push(`${ts(i++)} Downloading artifact ${k}: 10%\r20%\r45%\r100% done`);
        else if (r === 3)
          lines.push(`${ts(i++)} [INFO] Compiling ${k % 40} source files to /home/runner/work/app/app/target/classes`);
        else
          lines.push(
            `${ts(i++)}    \x1b[32m✓\x1b[39m module ${k % 97} > handles case ${k} of step ${step} \x1b[2m(${k % 17} ms)\x1b[22m`,
          );
      }
      const block = `${lines.join("\n")}\n`;
      written += fs.writeSync(fd, block);
    }
    const tail = [
      " FAIL  src/payments/refund.test.ts > refund > rejects a negative amount",
      "AssertionError: expected 400 to be 422 // Object.is equality",
      "- Expected",
      "+ Received",
      "- 422",
      "+ 400",
      " ❯ src/payments/refund.test.ts:41:27",
      " Test Files  1 failed | 96 passed (97)",
      "      Tests  1 failed | 1163 passed (1164)",
      "##[error]Process completed with exit code 1.",
      "Post job cleanup.",
    ].map((l) => `${ts(i++)} ${l}`);
    written += fs.writeSync(fd, `${tail.join("\n")}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

interface ChildResult {
  ms: number;
  maxRssMb: number;
  detail: string;
}

const describe = (r: { lineCount: number; category: string; excerpt: string }) =>
  `${r.lineCount} lines, category ${r.category}, excerpt ${r.excerpt.length} chars`;

/**
 * The reading and routing part of analyzeLog (all but the excerpt, which costs a few ms), with the line kinds from
 * `kind`'s scanner: `simd` computes them in WebAssembly, `simd-scan` in JavaScript, after the same SIMD scan.
 */
async function route(kind: "simd" | "simd-scan", input: { file: string } | Buffer): Promise<string> {
  const collector = new LogCollector();
  const router = new LineRouter(
    collector,
    new AnnotationEngine((raw) => toRepoPath(raw)),
    createCandidateScanner(kind),
  );
  if (Buffer.isBuffer(input)) await readLogRegions(input, router);
  else await readLogFile(input.file, router);
  return `${router.lineCount} lines, ${collector.finish().length} steps`;
}

/** Inside the child: runs one reader over the file and reports its time (after any read into memory) and peak RSS. */
async function child(mode: string, file: string): Promise<void> {
  // The command line's path sets the command's heap policy for the log's size.
  if (mode === "cli") tuneHeapFor(fs.statSync(file).size);
  // The app's inputs are in memory before analyzeLog runs: read (and for the old path decoded, as the app did) first.
  let bytes: Buffer | undefined =
    mode.startsWith("app-") || mode.endsWith(":bytes") ? fs.readFileSync(file) : undefined;
  let text: string | undefined;
  if (mode === "app-string") {
    text = new TextDecoder("utf-8").decode(bytes);
    bytes = undefined;
  }
  const t0 = process.hrtime.bigint();
  let detail: string;
  if (mode === "cli" || mode === "cli-default-heap") detail = describe(await analyzeLog({ file }));
  else if (mode === "stream")
    detail = describe(await analyzeLog(fs.createReadStream(file, { highWaterMark: STREAM_CHUNK })));
  else if (mode === "app-bytes") detail = describe(await analyzeLog(bytes!));
  else if (mode === "app-string") detail = describe(await analyzeLog(text!));
  else if (mode.startsWith("route-")) {
    const kind = mode.slice("route-".length, mode.indexOf(":")) as "simd" | "simd-scan";
    detail = await route(kind, bytes ?? { file });
  } else {
    let hits = 0;
    const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) if (ERROR_PATTERN.test(line)) hits++;
    detail = `${hits} matching lines`;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // maxRSS is in kilobytes.
  const result: ChildResult = { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, detail };
  process.stdout.write(JSON.stringify(result));
}

/** Rounds of each contender (BENCH_ROUNDS overrides). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));

interface Summary extends ChildResult {
  min: number;
  max: number;
}

/** The median run (its time, detail) with the spread of the times and the highest peak RSS of all runs. */
function summarise(results: ChildResult[]): Summary {
  const sorted = [...results].sort((a, b) => a.ms - b.ms);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    ...median,
    min: sorted[0]!.ms,
    max: sorted.at(-1)!.ms,
    maxRssMb: Math.max(...results.map((r) => r.maxRssMb)),
  };
}

function runChild(mode: string, file: string): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, [self, "--child", mode, file], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (res.status !== 0) throw new Error(`bench child ${mode} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as ChildResult;
}

/** Each contender ROUNDS times, the rounds interleaved: on a shared VM one run varies by ±30% from the next. */
function rounds<M extends string>(modes: readonly M[], file: string): Record<M, Summary> {
  const runs = Object.fromEntries(modes.map((m) => [m, [] as ChildResult[]])) as Record<M, ChildResult[]>;
  for (let round = 0; round < ROUNDS; round++) for (const mode of modes) runs[mode].push(runChild(mode, file));
  return Object.fromEntries(modes.map((m) => [m, summarise(runs[m])])) as Record<M, Summary>;
}

export async function runLogReaderBench(): Promise<string> {
  const file = path.join(os.tmpdir(), `ci-medic-bench-${process.pid}.log`);
  // The machine may be shared: its load, next to the figures, says how far to trust the times.
  const loadBefore = os.loadavg()[0]!;
  try {
    const mb = generateLog(file) / (1024 * 1024);
    // A warm-up read puts the file in the page cache for every contender alike.
    execFileSync("cat", [file], { stdio: ["ignore", "ignore", "ignore"] });
    const big200 = rounds(["cli", "route-simd:file", "route-simd-scan:file", "stream", "naive"] as const, file);
    fs.rmSync(file, { force: true });
    const appMb = generateLog(file, APP_BYTES) / (1024 * 1024);
    const app = rounds(["app-bytes", "app-string", "route-simd:bytes", "route-simd-scan:bytes"] as const, file);
    // Peak RSS must not grow with the log: the command line's path once more, on a log ten times the size, with its
    // heap policy (src/cli-heap.ts) and without.
    fs.rmSync(file, { force: true });
    const bigMb = generateLog(file, 10 * TARGET_BYTES) / (1024 * 1024);
    const big = runChild("cli", file);
    const bigDefault = runChild("cli-default-heap", file);

    const rate = (size: number, ms: number) => size / (ms / 1000);
    const secs = (ms: number) => (ms / 1000).toFixed(2);
    const time = (r: Summary) => `${secs(r.ms)} s (${secs(r.min)}–${secs(r.max)})`;
    const row = (name: string, r: Summary, size: number) =>
      `| ${name} | ${time(r)} | ${rate(size, r.ms).toFixed(0)} MB/s | ${r.maxRssMb.toFixed(0)} MB | ${r.detail} |`;
    const once = (name: string, r: ChildResult, size: number) =>
      `| ${name} | ${secs(r.ms)} s | ${rate(size, r.ms).toFixed(0)} MB/s | ${r.maxRssMb.toFixed(0)} MB | ${r.detail} |`;
    const gb = (bigMb / 1024).toFixed(1);
    const m = mb.toFixed(0);
    const a = appMb.toFixed(0);
    const rows = [
      row(`**analyzeLog, ${m} MB log file (the CLI)**`, big200.cli, mb),
      row(`naive: readline + one regex per line, ${m} MB`, big200.naive, mb),
      row(`analyzeLog, ${m} MB in 64 KB stream chunks (stdin)`, big200.stream, mb),
      row(`read + route only, ${m} MB file, line kinds in WebAssembly`, big200["route-simd:file"], mb),
      row(`read + route only, ${m} MB file, line kinds in JavaScript`, big200["route-simd-scan:file"], mb),
      once(`analyzeLog, ${gb} GB log file (the CLI), one run`, big, bigMb),
      once(`the same without the CLI's heap policy, one run`, bigDefault, bigMb),
      row(`**analyzeLog, ${a} MB log held as bytes (the app)**`, app["app-bytes"], appMb),
      row(`analyzeLog, ${a} MB log held as a string (the app before)`, app["app-string"], appMb),
      row(`route only, ${a} MB bytes, line kinds in WebAssembly`, app["route-simd:bytes"], appMb),
      row(`route only, ${a} MB bytes, line kinds in JavaScript`, app["route-simd-scan:bytes"], appMb),
    ];
    const vsNaive = rate(mb, big200.cli.ms) / rate(mb, big200.naive.ms);
    const peak = Math.max(big200.cli.maxRssMb, big.maxRssMb);
    const saved = (js: Summary, wasm: Summary) =>
      `${(js.ms - wasm.ms).toFixed(0)} ms (${((100 * (js.ms - wasm.ms)) / js.ms).toFixed(0)}%)`;
    const verdict = [
      `- CLI vs naive: ${vsNaive.toFixed(2)}× (target ≥3×) ${vsNaive >= 3 ? "✅" : "❌"}`,
      `- CLI peak RSS: ${big200.cli.maxRssMb.toFixed(0)} MB on ${m} MB, ${big.maxRssMb.toFixed(0)} MB on ${gb} GB (target <128 MB whatever the size) ${peak < 128 ? "✅" : "❌"}; without the heap policy ${bigDefault.maxRssMb.toFixed(0)} MB on ${gb} GB`,
      `- the app, ${a} MB: peak RSS ${app["app-bytes"].maxRssMb.toFixed(0)} MB as bytes, ${app["app-string"].maxRssMb.toFixed(0)} MB as a string`,
      `- line kinds in WebAssembly save ${saved(big200["route-simd-scan:file"], big200["route-simd:file"])} of reading and routing ${m} MB, ${saved(app["route-simd-scan:bytes"], app["route-simd:bytes"])} on ${a} MB`,
    ];
    return [
      "## Log reader",
      "",
      machineLine(),
      "",
      `Load average (1 min) at the start ${loadBefore.toFixed(1)}, at the end ${os.loadavg()[0]!.toFixed(1)}, on ${os.cpus().length} cores: times measured on a busy machine vary a lot, and only the figures of one run compare.`,
      "",
      `Input: generated raw Actions log (timestamps, \`##[group]Run\` steps of 4,000 lines, ANSI colours, \\r progress, a deprecation warning every 500 lines, an error with a stack every 2,000, one failure at the end), ${m} MB, ${a} MB and ${gb} GB, page-cached. Each reader ran ${ROUNDS} times, rounds interleaved (the ${gb} GB rows once); the table gives the median time (and the range), the throughput at the median, and the highest peak RSS (\`process.resourceUsage().maxRSS\` of a child process running only that reader, its read of the log into memory included). The CLI (\`ci-medic diagnose <file>\`, with its heap policy, src/cli-heap.ts) reads the file on one thread, 1 MB at a time, the next read (on libuv's pool) overlapping the routing of the last; its targets are judged on the first row and, for memory, on the ${gb} GB row too. The app analyses a downloaded log of at most LOG_MAX_BYTES (20 MB) held in memory; the string row is the path before the bytes were passed through (the log decoded once, then encoded back by analyzeLog). The route rows run the reading and routing part of analyzeLog alone, to compare the line kinds computed in WebAssembly (teddy.wat \`classify\`) and in JavaScript (line-shape.ts), after the same SIMD scan.`,
      "",
      "| reader | time | throughput | peak RSS | result |",
      "|---|---|---|---|---|",
      ...rows,
      "",
      ...verdict,
    ].join("\n");
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  if (process.argv[2] === "--child") {
    await child(process.argv[3] ?? "cli", process.argv[4] ?? "");
  } else {
    const markdown = await runLogReaderBench();
    writeSection("log-reader", markdown);
    console.log(markdown);
  }
}
