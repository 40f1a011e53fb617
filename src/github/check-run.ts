import type { Annotation } from "../logs/types.js";
import { headOf } from "../output/cut-text.js";
import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

/** GitHub's limits for check run output. */
export const CHECK_OUTPUT_MAX_CHARS = 65_535;
export const ANNOTATIONS_PER_REQUEST = 50;
const ANNOTATION_MESSAGE_MAX_BYTES = 64 * 1024;
const TITLE_MAX_CHARS = 255;

export interface CheckRunAction {
  /** ≤ 20 characters. */
  label: string;
  /** ≤ 40 characters. */
  description: string;
  /** ≤ 20 characters. */
  identifier: string;
}

export interface PublishCheckRunArgs {
  owner: string;
  repo: string;
  headSha: string;
  /** The check run posted earlier for this commit: a rerun updates it instead of adding another. */
  checkRunId?: number;
  name: string;
  title: string;
  summary: string;
  text: string;
  annotations: Annotation[];
  actions?: CheckRunAction[];
}

export interface GitHubAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "failure" | "warning" | "notice";
  title: string;
  message: string;
}

/**
 * Creates (or updates) a completed, neutral check run. GitHub takes at most 50 annotations per request, so the first
 * 50 go with the create/update and the rest follow in PATCHes of 50; GitHub appends them. Returns the check run id.
 */
export async function publishCheckRun(octokit: Octokit, args: PublishCheckRunArgs): Promise<number> {
  const { owner, repo } = args;
  const annotations = args.annotations.map(toGitHubAnnotation);
  const batches: GitHubAnnotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST)
    batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const title = capChars(oneLine(args.title), TITLE_MAX_CHARS);
  const summary = capOutput(args.summary);
  const text = capOutput(args.text);
  const output = { title, summary, text, annotations: batches[0] ?? [] };
  const actions = args.actions?.slice(0, 3).map((a) => ({
    label: capChars(a.label, 20),
    description: capChars(a.description, 40),
    identifier: capChars(a.identifier, 20),
  }));
  const completion = {
    status: "completed" as const,
    conclusion: "neutral" as const,
    completed_at: new Date().toISOString(),
    output,
    ...(actions ? { actions } : {}),
  };

  let id: number | undefined;
  if (args.checkRunId !== undefined) {
    try {
      await octokit.rest.checks.update({ owner, repo, check_run_id: args.checkRunId!, ...completion });
      id = args.checkRunId;
    } catch (error) {
      if (statusOf(error) !== 404) throw error; // deleted with its suite: post a new one
    }
  }
  if (id === undefined) {
    const { data } = await octokit.rest.checks.create({
      owner,
      repo,
      name: args.name,
      head_sha: args.headSha,
      ...completion,
    });
    id = data.id;
  }
  for (const batch of batches.slice(1)) {
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: id!,
      output: { title, summary, annotations: batch },
    });
  }
  return id;
}

export function toGitHubAnnotation(a: Annotation): GitHubAnnotation {
  const endLine = a.endLine !== undefined && a.endLine >= a.startLine ? a.endLine : a.startLine;
  const out: GitHubAnnotation = {
    path: a.path,
    start_line: a.startLine,
    end_line: endLine,
    annotation_level: a.level,
    title: capChars(oneLine(a.title), TITLE_MAX_CHARS),
    message: capBytes(a.message || a.title, ANNOTATION_MESSAGE_MAX_BYTES),
  };
  // GitHub rejects columns on annotations spanning several lines.
  if (a.column !== undefined && endLine === a.startLine) {
    out.start_column = a.column;
    out.end_column = a.column;
  }
  return out;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function capChars(s: string, max: number): string {
  return s.length <= max ? s : `${headOf(s, max - 1)}…`;
}

const CUT_NOTE = "\n\n_… cut by ci-medic to fit GitHub's limit._";

function capOutput(s: string): string {
  return s.length <= CHECK_OUTPUT_MAX_CHARS ? s : headOf(s, CHECK_OUTPUT_MAX_CHARS - CUT_NOTE.length) + CUT_NOTE;
}

function capBytes(s: string, maxBytes: number): string {
  const bytes = Buffer.from(s, "utf8");
  if (bytes.byteLength <= maxBytes) return s;
  let end = maxBytes - 3;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString("utf8")}…`;
}
