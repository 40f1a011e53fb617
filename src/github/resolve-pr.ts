import type { WorkflowRun } from "@octokit/webhooks-types";
import type { Octokit } from "./octokit.js";

export interface ResolvedPullRequest {
  number: number;
  headRepoFullName: string;
  headRef: string;
  baseRef: string;
  isFork: boolean;
}

interface ApiPull {
  number: number;
  state: string;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  base: { ref: string; repo: { full_name: string } };
}

/**
 * The open pull request a run belongs to. GitHub lists it in `pull_requests` only for same-repository branches; for a
 * fork that list is empty, so the PR is looked up by the fork's branch and matched on the head SHA, then by the commit.
 * `defaultBranch` comes from the event's `repository`: the run's own `repository` is a "repository lite" without it.
 */
export async function resolvePullRequest(
  octokit: Octokit,
  run: WorkflowRun,
  defaultBranch: string | undefined,
): Promise<ResolvedPullRequest | undefined> {
  const repository = run.repository.full_name;
  const [owner, repo] = repository.split("/") as [string, string];
  const headRepo = run.head_repository?.full_name ?? repository;
  const isFork = headRepo !== repository;

  // The REST schema lets `pull_requests` be null, and the webhook schema its items.
  const prs = ((run.pull_requests as (WorkflowRun["pull_requests"][number] | null)[] | null) ?? []).filter(
    (pr) => pr !== null,
  );
  const listed = prs.find((pr) => pr.base.repo.id === run.repository.id) ?? prs[0];
  if (listed)
    return {
      number: listed.number,
      headRepoFullName: headRepo,
      headRef: listed.head.ref,
      baseRef: listed.base.ref,
      isFork,
    };

  // A push to the default branch has no PR.
  if (!isFork && run.event === "push" && run.head_branch === defaultBranch) return undefined;

  const fromPull = (pr: ApiPull): ResolvedPullRequest => ({
    number: pr.number,
    headRepoFullName: pr.head.repo?.full_name ?? headRepo,
    headRef: pr.head.ref,
    baseRef: pr.base.ref,
    isFork: (pr.head.repo?.full_name ?? headRepo) !== repository,
  });

  if (run.head_branch) {
    const headOwner = run.head_repository?.owner.login ?? owner;
    const pulls: ApiPull[] = await octokit.paginate(octokit.rest.pulls.list, {
      owner,
      repo,
      state: "open",
      head: `${headOwner}:${run.head_branch}`,
      per_page: 100,
    });
    const match = pulls.find((pr) => pr.head.sha === run.head_sha);
    if (match) return fromPull(match);
  }

  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    owner,
    repo,
    commit_sha: run.head_sha,
  });
  const pulls = data as unknown as ApiPull[];
  const byCommit =
    pulls.find((pr) => pr.state === "open" && pr.head.sha === run.head_sha && pr.base.repo.full_name === repository) ??
    pulls.find((pr) => pr.state === "open" && pr.base.repo.full_name === repository);
  return byCommit ? fromPull(byCommit) : undefined;
}
