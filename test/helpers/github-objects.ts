import { specExample } from "./github-conformance.js";

// Small factories of GitHub API objects, each starting from GitHub's own example in the API description (so every
// required field is there and no field is invented) with only what a test cares about changed. The conformance layer
// (github-conformance.ts) checks every mocked answer; these keep the tests short while passing it.

type Json = Record<string, any>;

const API = "https://api.github.com";
const DEFAULT_REPO = "Codertocat/Hello-World";
const BOT_USER_ID = 41898282;

/** A user as `simple-user`; a login ending in `[bot]` is a Bot. */
export function user(login: string, opts: { id?: number; type?: "User" | "Bot" } = {}): Json {
  const u = specExample("simple-user");
  const type = opts.type ?? (login.endsWith("[bot]") ? "Bot" : "User");
  const id = opts.id ?? (type === "Bot" ? BOT_USER_ID : 21031067);
  return {
    ...u,
    login,
    id,
    node_id: `MDQ6VXNlcj${id}`,
    type,
    url: `${API}/users/${encodeURIComponent(login)}`,
    html_url: `https://github.com/${encodeURIComponent(login)}`,
  };
}

/** The `integration` (GitHub App) that made a comment or a check run. */
export function app(slug: string, id = 123): Json {
  return { ...specExample("integration"), id, slug, name: slug, node_id: `MDExOkludGVncmF0aW9u${id}` };
}

/** An issue comment as the issues API returns it; by default written by the ci-medic App. */
export function comment(spec: {
  id: number;
  body: string;
  login?: string;
  type?: "Bot" | "User";
  appSlug?: string | null;
  issueNumber?: number;
  repo?: string;
}): Json {
  const login = spec.login ?? "ci-medic[bot]";
  const type = spec.type ?? (login.endsWith("[bot]") ? "Bot" : "User");
  const appSlug = spec.appSlug === undefined ? (type === "Bot" ? login.replace(/\[bot\]$/, "") : null) : spec.appSlug;
  const repo = spec.repo ?? DEFAULT_REPO;
  const issueNumber = spec.issueNumber ?? 1;
  return {
    ...specExample("issue-comment"),
    id: spec.id,
    node_id: `IC_kwDO${spec.id}`,
    url: `${API}/repos/${repo}/issues/comments/${spec.id}`,
    html_url: `https://github.com/${repo}/issues/${issueNumber}#issuecomment-${spec.id}`,
    issue_url: `${API}/repos/${repo}/issues/${issueNumber}`,
    body: spec.body,
    user: user(login, { type }),
    created_at: "2026-11-23T08:00:00Z",
    updated_at: "2026-11-23T08:00:00Z",
    author_association: type === "Bot" ? "NONE" : "CONTRIBUTOR",
    performed_via_github_app: appSlug ? app(appSlug) : null,
  };
}

/** A label as `GET …/labels/{name}` returns it. */
export function label(name: string, opts: { color?: string; description?: string | null; repo?: string } = {}): Json {
  const repo = opts.repo ?? DEFAULT_REPO;
  return {
    ...specExample("label"),
    name,
    color: opts.color ?? "d93f0b",
    description: opts.description ?? null,
    default: false,
    url: `${API}/repos/${repo}/labels/${encodeURIComponent(name)}`,
  };
}

/** An issue as the issues API returns it. `repo` moves it (`repository_url`), as a transferred issue looks. */
export function issue(spec: {
  number: number;
  state?: string;
  title?: string;
  body?: string;
  labels?: (string | { name: string })[];
  repo?: string;
  pullRequest?: boolean;
}): Json {
  const repo = spec.repo ?? DEFAULT_REPO;
  const base = specExample("issue");
  delete base.pull_request;
  delete base.repository;
  return {
    ...base,
    id: 9_000_000 + spec.number,
    node_id: `I_kwDO${spec.number}`,
    number: spec.number,
    state: spec.state ?? "open",
    state_reason: null,
    title: spec.title ?? `Issue ${spec.number}`,
    body: spec.body ?? "",
    labels: (spec.labels ?? []).map((l) => label(typeof l === "string" ? l : l.name, { repo })),
    user: user("ci-medic[bot]"),
    assignee: null,
    assignees: [],
    milestone: null,
    closed_by: null,
    closed_at: null,
    comments: 0,
    url: `${API}/repos/${repo}/issues/${spec.number}`,
    repository_url: `${API}/repos/${repo}`,
    labels_url: `${API}/repos/${repo}/issues/${spec.number}/labels{/name}`,
    comments_url: `${API}/repos/${repo}/issues/${spec.number}/comments`,
    events_url: `${API}/repos/${repo}/issues/${spec.number}/events`,
    html_url: `https://github.com/${repo}/issues/${spec.number}`,
    ...(spec.pullRequest
      ? {
          pull_request: {
            url: `${API}/repos/${repo}/pulls/${spec.number}`,
            html_url: `https://github.com/${repo}/pull/${spec.number}`,
            diff_url: `https://github.com/${repo}/pull/${spec.number}.diff`,
            patch_url: `https://github.com/${repo}/pull/${spec.number}.patch`,
          },
        }
      : {}),
  };
}

function repository(base: Json, fullName: string): Json {
  const [owner, name] = fullName.split("/") as [string, string];
  // GitHub's example repository carries three fields its own `repository` schema does not define.
  const { template_repository: _t, subscribers_count: _s, network_count: _n, ...known } = base;
  return {
    ...known,
    name,
    full_name: fullName,
    owner: { ...base.owner, login: owner },
    html_url: `https://github.com/${fullName}`,
    url: `${API}/repos/${fullName}`,
  };
}

/**
 * A pull request as `GET …/pulls` and `GET …/commits/{sha}/pulls` return it (`full: true`: as `GET …/pulls/{n}` and
 * `POST …/pulls` do, with the counts and merge state).
 */
export function pull(spec: {
  number: number;
  headSha: string;
  headRef: string;
  headRepo: string;
  baseRepo?: string;
  baseRef?: string;
  state?: string;
  title?: string;
  body?: string | null;
  draft?: boolean;
  full?: boolean;
}): Json {
  const baseRepo = spec.baseRepo ?? DEFAULT_REPO;
  const base = spec.full ? specExample("pull-request") : specExample("pull-request-simple-items")[0];
  return {
    ...base,
    id: 1_000_000 + spec.number,
    node_id: `PR_kwDO${spec.number}`,
    number: spec.number,
    state: spec.state ?? "open",
    title: spec.title ?? base.title,
    body: spec.body === undefined ? base.body : spec.body,
    draft: spec.draft ?? false,
    url: `${API}/repos/${baseRepo}/pulls/${spec.number}`,
    html_url: `https://github.com/${baseRepo}/pull/${spec.number}`,
    requested_teams: [],
    head: {
      ...base.head,
      ref: spec.headRef,
      sha: spec.headSha,
      label: `${spec.headRepo.split("/")[0]}:${spec.headRef}`,
      repo: repository(base.head.repo, spec.headRepo),
    },
    base: {
      ...base.base,
      ref: spec.baseRef ?? "main",
      sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
      label: `${baseRepo.split("/")[0]}:${spec.baseRef ?? "main"}`,
      repo: repository(base.base.repo, baseRepo),
    },
  };
}

/**
 * The check run GitHub answers to `POST …/check-runs` or `PATCH …/check-runs/{id}`: the request's fields that the
 * check run keeps, but never `actions` or `output.annotations`/`images` (GitHub stores those apart and answers
 * `annotations_count`).
 */
export function checkRun(id: number, request: Json = {}, opts: { repo?: string; slug?: string } = {}): Json {
  const repo = opts.repo ?? DEFAULT_REPO;
  const base = specExample("check-run");
  const output = request.output ?? {};
  const status = request.conclusion ? "completed" : (request.status ?? base.status);
  return {
    ...base,
    id,
    node_id: `CR_kwDO${id}`,
    name: request.name ?? base.name,
    head_sha: request.head_sha ?? base.head_sha,
    external_id: request.external_id ?? "",
    details_url: request.details_url ?? null,
    url: `${API}/repos/${repo}/check-runs/${id}`,
    html_url: `https://github.com/${repo}/runs/${id}`,
    status,
    conclusion: status === "completed" ? (request.conclusion ?? base.conclusion) : null,
    started_at: request.started_at ?? "2026-11-23T08:03:00Z",
    completed_at: status === "completed" ? (request.completed_at ?? "2026-11-23T08:03:00Z") : null,
    output: {
      title: output.title ?? null,
      summary: output.summary ?? null,
      text: output.text ?? null,
      annotations_count: Array.isArray(output.annotations) ? output.annotations.length : 0,
      annotations_url: `${API}/repos/${repo}/check-runs/${id}/annotations`,
    },
    app: app(opts.slug ?? "ci-medic"),
    pull_requests: [],
  };
}

const ROLE_PERMISSION: Record<string, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

/**
 * `GET …/collaborators/{username}/permission`: GitHub answers the legacy `permission` (admin, write, read, none;
 * maintain counts as write and triage as read) and the role itself in `role_name`. A custom role names its base.
 */
export function collaboratorPermission(login: string, role: string, base?: "admin" | "write" | "read"): Json {
  const permission = ROLE_PERMISSION[role] ?? base ?? "read";
  const example = specExample("repository-collaborator-permission-response-if-user-has-admin-permissions");
  return {
    ...example,
    permission,
    role_name: role,
    user: {
      ...example.user,
      ...user(login),
      role_name: role,
      permissions: {
        admin: permission === "admin",
        maintain: role === "maintain" || permission === "admin",
        push: permission === "admin" || permission === "write",
        triage: permission !== "none" && role !== "read",
        pull: permission !== "none",
      },
    },
  };
}

/** `GET /orgs/{org}/teams/{team_slug}/memberships/{username}` for a member. */
export function teamMembership(state: "active" | "pending", role: "member" | "maintainer" = "member"): Json {
  return { ...specExample("team-membership-response-if-user-is-a-team-maintainer"), state, role };
}

/** GitHub's error body (`basic-error`). */
export function basicError(message: string, docs = "https://docs.github.com/rest"): Json {
  return { message, documentation_url: docs };
}

/** A 422 as GitHub sends it (`validation-error`). */
export function validationFailed(errors: Json[] = []): Json {
  return { message: "Validation Failed", errors, documentation_url: "https://docs.github.com/rest" };
}

/** `POST /app/installations/{id}/access_tokens`. */
export function installationToken(token: string, permissions: Record<string, string> = {}): Json {
  return { token, expires_at: "2099-01-01T00:00:00Z", permissions, repository_selection: "selected" };
}

// ---- Git database ----

export function gitRef(ref: string, sha: string, repo = DEFAULT_REPO): Json {
  return {
    ref,
    node_id: "MDM6UmVmcmVmcy9oZWFkcy9mZWF0dXJlQQ==",
    url: `${API}/repos/${repo}/git/${ref}`,
    object: { type: "commit", sha, url: `${API}/repos/${repo}/git/commits/${sha}` },
  };
}

export function gitCommit(spec: {
  sha: string;
  tree: string;
  parents?: string[];
  message?: string;
  repo?: string;
}): Json {
  const repo = spec.repo ?? DEFAULT_REPO;
  const base = specExample("git-commit");
  return {
    ...base,
    sha: spec.sha,
    node_id: `C_kwDO${spec.sha.slice(0, 8)}`,
    url: `${API}/repos/${repo}/git/commits/${spec.sha}`,
    html_url: `https://github.com/${repo}/commit/${spec.sha}`,
    message: spec.message ?? base.message,
    tree: { sha: spec.tree, url: `${API}/repos/${repo}/git/trees/${spec.tree}` },
    parents: (spec.parents ?? []).map((sha) => ({
      sha,
      url: `${API}/repos/${repo}/git/commits/${sha}`,
      html_url: `https://github.com/${repo}/commit/${sha}`,
    })),
  };
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
  size?: number;
}

export function gitTree(sha: string, entries: TreeEntry[], opts: { truncated?: boolean; repo?: string } = {}): Json {
  const repo = opts.repo ?? DEFAULT_REPO;
  return {
    sha,
    url: `${API}/repos/${repo}/git/trees/${sha}`,
    truncated: opts.truncated ?? false,
    tree: entries.map((e) => ({
      ...e,
      url: `${API}/repos/${repo}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}`,
    })),
  };
}

export function gitBlobCreated(sha: string, repo = DEFAULT_REPO): Json {
  return { sha, url: `${API}/repos/${repo}/git/blobs/${sha}` };
}

/** `GET …/contents/{path}` for a file, base64 with line breaks as GitHub sends it. */
export function contentFile(path: string, content: string | Buffer, opts: { repo?: string; sha?: string } = {}): Json {
  const repo = opts.repo ?? DEFAULT_REPO;
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const sha = opts.sha ?? "3d21ec53a331a6f037a91c368710b99387d012c1";
  const url = `${API}/repos/${repo}/contents/${path}`;
  return {
    type: "file",
    encoding: "base64",
    size: bytes.byteLength,
    name: path.split("/").pop(),
    path,
    content: bytes.toString("base64").replace(/(.{60})/g, "$1\n"),
    sha,
    url,
    git_url: `${API}/repos/${repo}/git/blobs/${sha}`,
    html_url: `https://github.com/${repo}/blob/main/${path}`,
    download_url: `https://raw.githubusercontent.com/${repo}/main/${path}`,
    _links: {
      self: url,
      git: `${API}/repos/${repo}/git/blobs/${sha}`,
      html: `https://github.com/${repo}/blob/main/${path}`,
    },
  };
}

/** `GET …/contents/{path}` for a directory: its entries, without their content. */
export function contentDirectory(entries: { path: string; content?: string }[], opts: { repo?: string } = {}): Json[] {
  return entries.map(({ path, content }) => {
    const { content: _c, encoding: _e, ...entry } = contentFile(path, content ?? "", opts);
    return entry;
  });
}

/**
 * A workflow run as `GET …/actions/runs/{id}` returns it. Its `repository` and `head_repository` are "minimal
 * repositories"; `pull_requests` lists same-repository pull requests only (GitHub leaves forks out).
 */
export function workflowRun(spec: {
  id: number;
  repo: string;
  attempt?: number;
  name?: string;
  path?: string;
  workflowId?: number;
  headBranch?: string;
  headSha: string;
  headRepo?: string;
  event?: string;
  conclusion?: string | null;
  pullRequests?: { number: number; baseRef?: string }[];
  actor?: string;
}): Json {
  const base = specExample("workflow-run");
  const headRepo = spec.headRepo ?? spec.repo;
  const runUrl = `${API}/repos/${spec.repo}/actions/runs/${spec.id}`;
  const repoOf = (fullName: string) => repository(base.repository, fullName);
  return {
    ...base,
    id: spec.id,
    node_id: `WFR_kwDO${spec.id}`,
    name: spec.name ?? "CI",
    path: spec.path ?? ".github/workflows/ci.yml",
    workflow_id: spec.workflowId ?? 2823525,
    run_attempt: spec.attempt ?? 1,
    run_number: spec.id,
    head_branch: spec.headBranch ?? "main",
    head_sha: spec.headSha,
    event: spec.event ?? "push",
    status: "completed",
    conclusion: spec.conclusion === undefined ? "failure" : spec.conclusion,
    url: runUrl,
    html_url: `https://github.com/${spec.repo}/actions/runs/${spec.id}`,
    jobs_url: `${runUrl}/jobs`,
    logs_url: `${runUrl}/logs`,
    check_suite_url: `${API}/repos/${spec.repo}/check-suites/1`,
    artifacts_url: `${runUrl}/artifacts`,
    cancel_url: `${runUrl}/cancel`,
    rerun_url: `${runUrl}/rerun`,
    workflow_url: `${API}/repos/${spec.repo}/actions/workflows/${spec.workflowId ?? 2823525}`,
    actor: user(spec.actor ?? "octocat"),
    triggering_actor: user(spec.actor ?? "octocat"),
    pull_requests: (spec.pullRequests ?? []).map((pr) => ({
      id: 1_000_000 + pr.number,
      number: pr.number,
      url: `${API}/repos/${spec.repo}/pulls/${pr.number}`,
      head: {
        ref: spec.headBranch ?? "main",
        sha: spec.headSha,
        repo: { id: 1296269, url: `${API}/repos/${headRepo}`, name: headRepo.split("/")[1] },
      },
      base: {
        ref: pr.baseRef ?? "main",
        sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        repo: { id: 1296269, url: `${API}/repos/${spec.repo}`, name: spec.repo.split("/")[1] },
      },
    })),
    repository: repoOf(spec.repo),
    head_repository: repoOf(headRepo),
  };
}
