// Turns a validated patch into one commit on `ci-medic/fix-<run id>` and a pull request, through the git data API (no
// clone, no checkout). The branch name is the idempotency key: a second approval finds the branch and its pull request
// instead of making another, and a branch holding anyone else's commits is reported, never overwritten.

import type { Context } from "probot";
import { normalisePath } from "./paths.js";
import { renderPrBody, sanitiseTitle } from "./pr-body.js";
import type { FileChange } from "./validate-patch.js";

export { renderForkSuggestion } from "./pr-body.js";

type Octokit = Context["octokit"];

/** Path segments percent-encoded one by one, so `/` stays a separator in the URL. */
function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

export interface ReadFilesInput {
  owner: string;
  repo: string;
  sha: string;
  paths: readonly string[];
  maxBytes: number;
}

/**
 * Text content of `paths` at `sha`, keyed by normalised path. Absent files, directories, links to elsewhere, binary
 * files, files that are not UTF-8 and files over `maxBytes` are left out; any other API error is thrown.
 */
export async function readFilesAtSha(octokit: Octokit, input: ReadFilesInput): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const paths = [...new Set(input.paths.map(normalisePath).flatMap((p) => (p.ok ? [p.path] : [])))];
  for (const path of paths) {
    let data: unknown;
    try {
      ({ data } = await octokit.request(`GET /repos/{owner}/{repo}/contents/${encodePath(path)}`, {
        owner: input.owner,
        repo: input.repo,
        ref: input.sha,
      }));
    } catch (error) {
      if (statusOf(error) === 404) continue;
      throw error;
    }
    const text = decodeFile(data, input.maxBytes);
    if (text !== null) out.set(path, text);
  }
  return out;
}

function decodeFile(data: unknown, maxBytes: number): string | null {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const file = data as { type?: string; size?: number; encoding?: string; content?: string };
  if (file.type !== "file" || typeof file.content !== "string" || file.encoding !== "base64") return null;
  if ((file.size ?? 0) > maxBytes) return null;
  const bytes = Buffer.from(file.content, "base64");
  if (bytes.length > maxBytes || bytes.includes(0)) return null;
  try {
    // Keep a BOM: dropping it would be a change nobody asked for.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

export interface OpenFixInput {
  owner: string;
  repo: string;
  /** The branch the fix PR targets (the failing PR's head branch, or the failing branch). */
  baseBranch: string;
  /** The commit the diagnosis was made for; the fix commit's only parent. */
  headSha: string;
  runId: number;
  runUrl: string;
  diagnosisUrl?: string;
  title: string;
  changes: readonly FileChange[];
  approvedBy: string;
  draft: boolean;
  explanation: string;
}

export type OpenFixResult =
  | { kind: "opened" | "reused"; prNumber: number; prUrl: string; branch: string }
  | { kind: "branch-conflict"; branch: string };

export function fixBranchName(runId: number): string {
  return `ci-medic/fix-${runId}`;
}

/** The trailer that marks a commit as ci-medic's fix for one run; with the parent check it identifies our commits. */
function runTrailer(runId: number): string {
  return `Ci-Medic-Run: ${runId}`;
}

export async function openFixPullRequest(octokit: Octokit, input: OpenFixInput): Promise<OpenFixResult> {
  if (!input.baseBranch) throw new Error("openFixPullRequest needs the branch the fix should target.");
  if (input.changes.length === 0) throw new Error("openFixPullRequest needs at least one change.");
  const branch = fixBranchName(input.runId);
  const existing = await branchTip(octokit, input, branch);
  if (existing !== null) {
    if (!(await isOurCommit(octokit, input, existing))) return { kind: "branch-conflict", branch };
    return pullForBranch(octokit, input, branch, true);
  }

  const commitSha = await createFixCommit(octokit, input);
  try {
    await octokit.request("POST /repos/{owner}/{repo}/git/refs", {
      owner: input.owner,
      repo: input.repo,
      ref: `refs/heads/${branch}`,
      sha: commitSha,
    });
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    // Another approval created the branch between our read and our write: use theirs if it is ours too.
    const raced = await branchTip(octokit, input, branch);
    if (raced === null || !(await isOurCommit(octokit, input, raced))) return { kind: "branch-conflict", branch };
    return pullForBranch(octokit, input, branch, true);
  }
  return pullForBranch(octokit, input, branch, false);
}

async function branchTip(octokit: Octokit, input: OpenFixInput, branch: string): Promise<string | null> {
  try {
    const { data } = await octokit.request(`GET /repos/{owner}/{repo}/git/ref/${encodePath(`heads/${branch}`)}`, {
      owner: input.owner,
      repo: input.repo,
    });
    const sha = (data as { object?: { sha?: unknown } }).object?.sha;
    return typeof sha === "string" ? sha : null;
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

async function isOurCommit(octokit: Octokit, input: OpenFixInput, sha: string): Promise<boolean> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
    owner: input.owner,
    repo: input.repo,
    commit_sha: sha,
  });
  const parents = data.parents.map((p) => p.sha);
  const trailer = runTrailer(input.runId);
  return (
    parents.length === 1 &&
    parents[0] === input.headSha &&
    data.message.split("\n").some((line) => line.trim() === trailer)
  );
}

async function createFixCommit(octokit: Octokit, input: OpenFixInput): Promise<string> {
  const { owner, repo } = input;
  const { data: head } = await octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
    owner,
    repo,
    commit_sha: input.headSha,
  });
  const modes = await fileModes(octokit, input, head.tree.sha);
  const tree: { path: string; mode: "100644" | "100755"; type: "blob"; sha: string }[] = [];
  for (const change of input.changes) {
    const { data: blob } = await octokit.request("POST /repos/{owner}/{repo}/git/blobs", {
      owner,
      repo,
      content: change.after,
      encoding: "utf-8",
    });
    tree.push({ path: change.path, mode: modes.get(change.path) ?? "100644", type: "blob", sha: blob.sha });
  }
  const { data: newTree } = await octokit.request("POST /repos/{owner}/{repo}/git/trees", {
    owner,
    repo,
    base_tree: head.tree.sha,
    tree,
  });
  const { data: commit } = await octokit.request("POST /repos/{owner}/{repo}/git/commits", {
    owner,
    repo,
    message: commitMessage(input),
    tree: newTree.sha,
    parents: [input.headSha],
  });
  return commit.sha;
}

function commitMessage(input: OpenFixInput): string {
  return [
    sanitiseTitle(input.title, 72),
    "",
    `Fix for the failed run ${input.runUrl}, written by ci-medic and approved by ${input.approvedBy}.`,
    "",
    `Approved-by: ${input.approvedBy}`,
    runTrailer(input.runId),
  ].join("\n");
}

/**
 * The mode of each changed file, so an executable script stays executable, after checking each path against the head
 * tree. Walks only the directories on the changed paths (a recursive tree of a large repository can run to megabytes).
 * Writing a blob where the tree has a directory, a submodule or a symbolic link would replace it (or write through
 * the link), and a "new" file that exists was read wrong: all of those stop the commit.
 */
async function fileModes(
  octokit: Octokit,
  input: OpenFixInput,
  rootTree: string,
): Promise<Map<string, "100644" | "100755">> {
  const modes = new Map<string, "100644" | "100755">();
  type Entry = { path: string; mode: string; type: string; sha: string };
  const trees = new Map<string, Entry[]>();
  const list = async (sha: string): Promise<Entry[]> => {
    let entries = trees.get(sha);
    if (!entries) {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", {
        owner: input.owner,
        repo: input.repo,
        tree_sha: sha,
      });
      entries = data.tree.flatMap((e) =>
        e.path && e.mode && e.type && e.sha ? [{ path: e.path, mode: e.mode, type: e.type, sha: e.sha }] : [],
      );
      trees.set(sha, entries);
    }
    return entries;
  };
  const refuse = (path: string, why: string) =>
    new Error(`${path} ${why} at ${input.headSha.slice(0, 7)}; ci-medic did not write it.`);
  for (const change of input.changes) {
    const segments = change.path.split("/");
    let sha: string | undefined = rootTree;
    for (const dir of segments.slice(0, -1)) {
      const entry: Entry | undefined = (await list(sha)).find((e) => e.path === dir);
      if (entry && entry.type !== "tree") throw refuse(change.path, `has a non-directory (${dir}) on its way`);
      sha = entry?.sha;
      if (!sha) break;
    }
    const entry: Entry | undefined = sha
      ? (await list(sha)).find((e) => e.path === segments[segments.length - 1])
      : undefined;
    if (!entry) {
      if (change.before !== null) throw refuse(change.path, "is not in the tree");
      continue;
    }
    if (change.before === null) throw refuse(change.path, "already exists");
    if (entry.mode === "120000") throw refuse(change.path, "is a symbolic link");
    if (entry.type !== "blob") throw refuse(change.path, `is a ${entry.type}, not a file`);
    if (entry.mode === "100755") modes.set(change.path, "100755");
  }
  return modes;
}

async function pullForBranch(
  octokit: Octokit,
  input: OpenFixInput,
  branch: string,
  lookFirst: boolean,
): Promise<OpenFixResult> {
  if (lookFirst) {
    const found = await openPullFor(octokit, input, branch);
    if (found) return { kind: "reused", ...found, branch };
  }
  try {
    const { data } = await octokit.request("POST /repos/{owner}/{repo}/pulls", {
      owner: input.owner,
      repo: input.repo,
      title: sanitiseTitle(input.title),
      head: branch,
      base: input.baseBranch,
      body: renderPrBody({ ...input, branch }),
      draft: input.draft,
    });
    return { kind: "opened", prNumber: data.number, prUrl: data.html_url, branch };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    // "A pull request already exists": a concurrent approval opened it.
    const found = await openPullFor(octokit, input, branch);
    if (found) return { kind: "reused", ...found, branch };
    throw error;
  }
}

async function openPullFor(
  octokit: Octokit,
  input: OpenFixInput,
  branch: string,
): Promise<{ prNumber: number; prUrl: string } | null> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
    owner: input.owner,
    repo: input.repo,
    head: `${input.owner}:${branch}`,
    state: "open",
    per_page: 10,
  });
  const pr = data[0];
  return pr ? { prNumber: pr.number, prUrl: pr.html_url } : null;
}
