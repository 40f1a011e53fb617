// Turns a shown and approved patch into a commit on `ci-medic/fix-<run id>` and a pull request, through the git data
// API (no clone, no checkout). The branch name is the idempotency key: a second approval finds the branch and its pull
// request instead of making another, and a branch holding anyone else's commits is reported, never overwritten.
// Follow-up attempts are new commits on the same branch, moved by a fast-forward ref update only.

import { fixBranchName, fixCommitMessage, runTrailer } from "../fix/fix-branch.js";
import { normalisePath } from "../fix/paths.js";
import { renderPrBody, sanitiseTitle } from "../fix/pr-body.js";
import type { FileChange } from "../fix/validate-patch.js";
import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

/** Path segments percent-encoded one by one, so `/` stays a separator in the URL. */
function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
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
  /** A rerun of the same run gets a branch of its own. */
  runAttempt?: number;
  runUrl: string;
  diagnosisUrl?: string;
  title: string;
  changes: readonly FileChange[];
  approvedBy: string;
  draft: boolean;
  explanation: string;
  /**
   * The commit made for this change by an earlier try (stored by `onCommit`): found at the tip, it is ours (and only
   * it is); with no branch yet, the branch is created at it rather than at a second commit.
   */
  knownCommit?: string;
  /** Called with the new commit before the branch points at it, so a retry after a crash reuses it. */
  onCommit?: (sha: string) => Promise<void>;
}

export type OpenFixResult =
  | { kind: "opened" | "reused"; prNumber: number; prUrl: string; branch: string; nodeId?: string; commitSha: string }
  | { kind: "branch-conflict"; branch: string };

export async function openFixPullRequest(octokit: Octokit, input: OpenFixInput): Promise<OpenFixResult> {
  if (!input.baseBranch) throw new Error("openFixPullRequest needs the branch the fix should target.");
  if (input.changes.length === 0) throw new Error("openFixPullRequest needs at least one change.");
  const branch = fixBranchName(input.runId, input.runAttempt);
  const existing = await branchTip(octokit, input, branch);
  if (existing !== null) {
    // With the commit this change was stored as, only that commit counts: another of ours would not be what was shown.
    const ours = input.knownCommit ? existing === input.knownCommit : await isOurCommit(octokit, input, existing);
    if (!ours) return { kind: "branch-conflict", branch };
    return pullForBranch(octokit, input, branch, true, existing);
  }

  const spec = { owner: input.owner, repo: input.repo, parentSha: input.headSha, changes: input.changes };
  let tree: string | undefined;
  let commitSha = input.knownCommit;
  // An earlier try made the commit and died before the branch pointed at it: that commit, not a second one.
  if (!commitSha) {
    tree = await createFixTree(octokit, spec);
    commitSha = await commitTree(octokit, { ...spec, tree, message: fixCommitMessage({ ...input, attempt: 1 }) });
    await input.onCommit?.(commitSha);
  }
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
    const ours =
      raced !== null &&
      (raced === commitSha || (!input.knownCommit && (await isOurCommit(octokit, input, raced, tree))));
    if (!ours) return { kind: "branch-conflict", branch };
    return pullForBranch(octokit, input, branch, true, raced);
  }
  return pullForBranch(octokit, input, branch, false, commitSha);
}

/** The commit a branch points at, or null when there is no such branch. */
export async function branchTip(
  octokit: Octokit,
  input: { owner: string; repo: string },
  branch: string,
): Promise<string | null> {
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

/**
 * A tip this change has no stored commit for is taken as ours only when it is exactly this change: ci-medic's trailer
 * and the diagnosed commit as its only parent (anyone can write a trailer), and the very tree this change makes on
 * that parent. A commit of an earlier, superseded proposal carries the same trailer and parent but another tree, and
 * pushing it would not be what was shown. `tree`: this change's tree when it was just built.
 */
async function isOurCommit(octokit: Octokit, input: OpenFixInput, sha: string, tree?: string): Promise<boolean> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
    owner: input.owner,
    repo: input.repo,
    commit_sha: sha,
  });
  const parents = data.parents.map((p) => p.sha);
  const trailer = runTrailer(input.runId);
  const looksOurs =
    parents.length === 1 &&
    parents[0] === input.headSha &&
    data.message.split("\n").some((line) => line.trim() === trailer);
  if (!looksOurs) return false;
  // Building the tree writes git objects only (content-addressed, no ref moves): the same change gives the same sha.
  const ours =
    tree ??
    (await createFixTree(octokit, {
      owner: input.owner,
      repo: input.repo,
      parentSha: input.headSha,
      changes: input.changes,
    }));
  return data.tree.sha === ours;
}

export interface FixCommitInput {
  owner: string;
  repo: string;
  /** The commit the change was shown against: the new commit's only parent. */
  parentSha: string;
  changes: readonly FileChange[];
  message: string;
}

/** One commit holding exactly `changes` (each file's `after`, byte for byte) on top of `parentSha`; no ref moves. */
export async function createFixCommit(octokit: Octokit, input: FixCommitInput): Promise<string> {
  return commitTree(octokit, { ...input, tree: await createFixTree(octokit, input) });
}

async function commitTree(octokit: Octokit, input: FixCommitInput & { tree: string }): Promise<string> {
  const { data: commit } = await octokit.request("POST /repos/{owner}/{repo}/git/commits", {
    owner: input.owner,
    repo: input.repo,
    message: input.message,
    tree: input.tree,
    parents: [input.parentSha],
  });
  return commit.sha;
}

/** The tree of `parentSha` with `changes` written into it (blobs and tree objects only); its sha. */
async function createFixTree(octokit: Octokit, input: Omit<FixCommitInput, "message">): Promise<string> {
  const { owner, repo } = input;
  const { data: head } = await octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
    owner,
    repo,
    commit_sha: input.parentSha,
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
  return newTree.sha;
}

/**
 * Moves `branch` from ci-medic's previous commit to `sha`, a fast-forward only (`force: false`): GitHub refuses the
 * update with 422 when the branch is no longer an ancestor of `sha`, that is when someone else pushed meanwhile.
 */
export async function fastForwardBranch(
  octokit: Octokit,
  input: { owner: string; repo: string; branch: string; sha: string },
): Promise<"updated" | "not-fast-forward"> {
  try {
    await octokit.request(`PATCH /repos/{owner}/{repo}/git/refs/${encodePath(`heads/${input.branch}`)}`, {
      owner: input.owner,
      repo: input.repo,
      sha: input.sha,
      force: false,
    });
    return "updated";
  } catch (error) {
    if (statusOf(error) === 422) return "not-fast-forward";
    throw error;
  }
}

/** GraphQL only: the REST API cannot take a pull request out of draft. */
export async function markReadyForReview(octokit: Octokit, pullRequestNodeId: string): Promise<void> {
  await octokit.graphql(
    "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }",
    { id: pullRequestNodeId },
  );
}

/**
 * The mode of each changed file, so an executable script stays executable, after checking each path against the head
 * tree. Walks only the directories on the changed paths (a recursive tree of a large repository can run to megabytes).
 * Writing a blob where the tree has a directory, a submodule or a symbolic link would replace it (or write through
 * the link), and a "new" file that exists was read wrong: all of those stop the commit.
 */
async function fileModes(
  octokit: Octokit,
  input: Omit<FixCommitInput, "message">,
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
    new Error(`${path} ${why} at ${input.parentSha.slice(0, 7)}; ci-medic did not write it.`);
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
  commitSha: string,
): Promise<OpenFixResult> {
  if (lookFirst) {
    const found = await openPullFor(octokit, input, branch);
    if (found) return { kind: "reused", ...found, branch, commitSha };
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
    return { kind: "opened", prNumber: data.number, prUrl: data.html_url, nodeId: data.node_id, branch, commitSha };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    // "A pull request already exists": a concurrent approval opened it.
    const found = await openPullFor(octokit, input, branch);
    if (found) return { kind: "reused", ...found, branch, commitSha };
    throw error;
  }
}

async function openPullFor(
  octokit: Octokit,
  input: OpenFixInput,
  branch: string,
): Promise<{ prNumber: number; prUrl: string; nodeId?: string } | null> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
    owner: input.owner,
    repo: input.repo,
    head: `${input.owner}:${branch}`,
    state: "open",
    per_page: 10,
  });
  const pr = data[0];
  return pr ? { prNumber: pr.number, prUrl: pr.html_url, nodeId: pr.node_id } : null;
}
