import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };

// Webhook payloads built from the real examples in @octokit/webhooks-examples, with placeholder ids and only the
// fields each scenario changes.

type Json = Record<string, any>;

function example(event: string, predicate: (p: Json) => boolean): Json {
  const group = (examples as Json[]).find((e) => e.name === event);
  const found = (group?.examples as Json[] | undefined)?.find(predicate);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found);
}

export const OWNER = "octo-org";
export const REPO = "octo-repo";
export const INSTALLATION_ID = 2;
export const HEAD_SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625";

export interface RunOptions {
  runId?: number;
  attempt?: number;
  conclusion?: string | null;
  branch?: string;
  headSha?: string;
  /** PR number in `workflow_run.pull_requests` (same-repository PR). */
  pr?: number;
  /** Head repository of a fork; `pull_requests` is then empty, as GitHub sends it. */
  forkOwner?: string;
  actor?: { login: string; type: string };
  name?: string;
  /** Default: "pull_request" for a PR or a fork, "push" otherwise. */
  event?: string;
}

export function workflowRunCompleted(opts: RunOptions = {}): Json {
  const payload = example(
    "workflow_run",
    (p) => p.action === "completed" && (p.workflow_run?.pull_requests?.length ?? 0) > 0,
  );
  const run = payload.workflow_run;
  run.id = opts.runId ?? 1001;
  run.run_attempt = opts.attempt ?? 1;
  run.conclusion = opts.conclusion === undefined ? "failure" : opts.conclusion;
  run.head_branch = opts.branch ?? "feature";
  run.head_sha = opts.headSha ?? HEAD_SHA;
  run.name = opts.name ?? "CI";
  run.event = opts.event ?? (opts.pr || opts.forkOwner ? "pull_request" : "push");
  run.path = ".github/workflows/ci.yml";
  run.workflow_id = 2823525;
  run.html_url = `https://github.com/${OWNER}/${REPO}/actions/runs/${run.id}`;
  run.jobs_url = `https://api.github.com/repos/${OWNER}/${REPO}/actions/runs/${run.id}/jobs`;
  run.logs_url = `https://api.github.com/repos/${OWNER}/${REPO}/actions/runs/${run.id}/logs`;
  run.pull_requests = opts.pr
    ? [
        {
          ...run.pull_requests[0],
          number: opts.pr,
          head: { ...run.pull_requests[0].head, ref: run.head_branch, sha: run.head_sha },
        },
      ]
    : [];
  if (opts.forkOwner) {
    run.head_repository = {
      ...run.head_repository,
      full_name: `${opts.forkOwner}/${REPO}`,
      owner: { ...run.head_repository.owner, login: opts.forkOwner },
    };
  } else {
    run.head_repository = { ...run.head_repository, full_name: `${OWNER}/${REPO}` };
  }
  if (opts.actor) {
    run.actor = { ...run.actor, ...opts.actor };
    run.triggering_actor = { ...run.triggering_actor, ...opts.actor };
  }
  run.repository = {
    ...run.repository,
    full_name: `${OWNER}/${REPO}`,
    name: REPO,
    owner: { ...run.repository.owner, login: OWNER },
  };
  payload.repository = {
    ...payload.repository,
    full_name: `${OWNER}/${REPO}`,
    name: REPO,
    owner: { ...payload.repository.owner, login: OWNER },
    default_branch: "main",
  };
  payload.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==" };
  return payload;
}

export interface CommentOptions {
  body: string;
  issue?: number;
  commentId?: number;
  login?: string;
  userId?: number;
  userType?: "User" | "Bot";
  /** The thread is a pull request (issue_comment on a PR carries `issue.pull_request`). */
  isPr?: boolean;
  action?: "created" | "edited";
}

function reactions(path: string): Json {
  const url = `https://api.github.com/repos/${OWNER}/${REPO}/${path}/reactions`;
  return { url, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
}

export function issueComment(opts: CommentOptions): Json {
  const payload = example("issue_comment", (p) => p.action === (opts.action ?? "created"));
  payload.comment.body = opts.body;
  payload.comment.id = opts.commentId ?? 5001;
  payload.comment.user = {
    ...payload.comment.user,
    login: opts.login ?? "maintainer",
    id: opts.userId ?? 9001,
    type: opts.userType ?? "User",
  };
  payload.comment.performed_via_github_app = null;
  // The example predates fields the webhook schema now requires: `reactions` on the comment and the issue, the
  // issue's `active_lock_reason` and each label's `description`.
  payload.comment.reactions ??= reactions(`issues/comments/${payload.comment.id}`);
  payload.issue.number = opts.issue ?? 2;
  payload.issue.reactions ??= reactions(`issues/${payload.issue.number}`);
  payload.issue.active_lock_reason ??= null;
  for (const label of payload.issue.labels ?? []) label.description ??= null;
  if (opts.isPr === false) delete payload.issue.pull_request;
  else
    payload.issue.pull_request = { url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/${payload.issue.number}` };
  payload.sender = payload.comment.user;
  payload.repository = {
    ...payload.repository,
    full_name: `${OWNER}/${REPO}`,
    name: REPO,
    owner: { ...payload.repository.owner, login: OWNER },
  };
  payload.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==" };
  return payload;
}

export function checkRunRequestedAction(opts: {
  checkRunId: number;
  identifier?: string;
  login?: string;
  userId?: number;
}): Json {
  const payload = example("check_run", (p) => p.action === "requested_action");
  payload.check_run.id = opts.checkRunId;
  payload.requested_action = { identifier: opts.identifier ?? "open-fix-pr" };
  payload.sender = { ...payload.sender, login: opts.login ?? "maintainer", id: opts.userId ?? 9001, type: "User" };
  payload.repository = {
    ...payload.repository,
    full_name: `${OWNER}/${REPO}`,
    name: REPO,
    owner: { ...payload.repository.owner, login: OWNER },
  };
  payload.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==" };
  return payload;
}
