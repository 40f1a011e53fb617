import { Readable } from "node:stream";
import nock from "nock";
import { githubOctokit } from "../../src/github/octokit.js";
import { ConformanceError, takeViolations } from "./github-conformance.js";
import {
  basicError,
  checkRun,
  collaboratorPermission,
  comment,
  contentFile,
  installationToken,
  issue,
  label,
  teamMembership,
  validationFailed,
} from "./github-objects.js";

export * from "./github-objects.js";

// One chainable nock helper for the team, reading like a conversation with GitHub:
//
//   const gh = mockGitHub({ owner: "Codertocat", repo: "Hello-World" })
//     .canGetToken()
//     .hasRunJobs(30433642, [job({ id: 1, name: "test", failedStep: "Run npm test" })])
//     .hasJobLog(1, "…log…")
//     .expectsCheckRun();
//   … run the code …
//   gh.done();                       // every interceptor was used, no assertion in a callback failed
//   gh.requests                      // every request GitHub saw: { method, path, body, headers }
//
// Callbacks given to `expects…` receive the parsed request body; an assertion thrown there is rethrown by `done()`.
// Answers are built by the factories in github-objects.ts (GitHub's own examples, adjusted). Every exchange, from
// here or from `gh.api` / `nock()` directly, is checked against GitHub's API description and the App's permissions
// (github-conformance.ts, installed by conformance-setup.ts); `done()` throws the first mismatches.

export interface CapturedRequest {
  method: string;
  /** Path with query string, e.g. `/repos/o/r/check-runs`. On the log host, the path of the signed URL. */
  path: string;
  host: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export type BodyCheck = (body: any) => void;

const NOT_FOUND = basicError("Not Found", "https://docs.github.com/rest");

export const LOG_HOST = "https://pipelines.actions.githubusercontent.com";
export const INSTALLATION_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";

/** An Octokit like Probot's installation client, without retries or throttling (tests see every answer as is). */
export function testOctokit(opts: { baseUrl?: string } = {}) {
  return new (githubOctokit())({
    auth: { token: INSTALLATION_TOKEN },
    retry: { enabled: false },
    throttle: { enabled: false },
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
  });
}

export function mockGitHub(opts: { owner: string; repo: string; installationId?: number; baseUrl?: string }) {
  return new GitHubMock(opts.owner, opts.repo, opts.installationId ?? 2, opts.baseUrl ?? "https://api.github.com");
}

export class GitHubMock {
  readonly requests: CapturedRequest[] = [];
  readonly api: nock.Scope;
  readonly logs: nock.Scope;
  private readonly failures: unknown[] = [];
  private nextId = 1000;

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly installationId: number,
    readonly baseUrl: string,
  ) {
    this.api = nock(baseUrl);
    this.logs = nock(LOG_HOST);
  }

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  /** `/repos/{owner}/{repo}` under the API's base path. */
  get repoPath(): string {
    return `${new URL(this.baseUrl).pathname.replace(/\/$/, "")}/repos/${this.owner}/${this.repo}`;
  }

  /** POST /app/installations/{id}/access_tokens → an installation token. */
  canGetToken(token = INSTALLATION_TOKEN): this {
    this.api
      .post(
        `${new URL(this.baseUrl).pathname.replace(/\/$/, "")}/app/installations/${this.installationId}/access_tokens`,
      )
      .reply(this.answer(201, installationToken(token)));
    return this;
  }

  /** `.github/ci-medic.yml` absent from the repository and from the organisation's `.github` repository: defaults. */
  hasNoConfig(): this {
    const path = `/contents/${encodeURIComponent(".github/ci-medic.yml")}`;
    this.api.get(`${this.repoPath}${path}`).reply(this.answer(404, NOT_FOUND));
    this.api.get(`${this.repoPath.replace(/\/[^/]+$/, "/.github")}${path}`).reply(this.answer(404, NOT_FOUND));
    return this;
  }

  /** `.github/ci-medic.yml` with this YAML (Probot's config plugin asks for the raw media type). */
  hasConfig(yaml: string): this {
    this.api
      .get(`${this.repoPath}/contents/${encodeURIComponent(".github/ci-medic.yml")}`)
      .reply(this.answer(200, yaml, { "content-type": "application/vnd.github.raw; charset=utf-8" }));
    return this;
  }

  /**
   * The jobs of a run, split into pages of `pageSize` linked with `Link` headers as GitHub does: answered for
   * `GET …/actions/runs/{id}/attempts/{n}/jobs` (attempt 1 unless given) and, without `attempt`, for the run's plain
   * list `GET …/actions/runs/{id}/jobs` too.
   */
  hasRunJobs(runId: number, jobs: object[], opts: { pageSize?: number; attempt?: number } = {}): this {
    const run = `${this.repoPath}/actions/runs/${runId}`;
    const paths = [`${run}/attempts/${opts.attempt ?? 1}/jobs`, ...(opts.attempt === undefined ? [`${run}/jobs`] : [])];
    return this.paged(paths, jobs, opts.pageSize ?? 100, (items) => ({
      total_count: jobs.length,
      jobs: items,
    }));
  }

  /** GET …/actions/jobs/{id}/logs → 302 to a signed URL on the log host → the text. */
  hasJobLog(jobId: number, text: string | Buffer, opts: { chunkSize?: number } = {}): this {
    const blobPath = `/serviceHosts/7d3c/_apis/pipelines/1/runs/1/signedlogcontent/${jobId}`;
    const query = "urlExpires=2099-01-01T00%3A00%3A00Z&urlSigningMethod=HMACV1&urlSignature=c2lnbmF0dXJl";
    this.api
      .get(`${this.repoPath}/actions/jobs/${jobId}/logs`)
      .reply(this.answer(302, "", { location: `${LOG_HOST}${blobPath}?${query}` }));
    const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    this.logs
      .get(blobPath)
      .query(true)
      .reply(this.answer(200, chunked(bytes, opts.chunkSize ?? 64 * 1024), { "content-type": "text/plain" }));
    return this;
  }

  /** GET …/actions/jobs/{id}/logs → 404: the log is past retention (the operation documents no other answer). */
  hasExpiredLog(jobId: number): this {
    this.api.get(`${this.repoPath}/actions/jobs/${jobId}/logs`).reply(this.answer(404, NOT_FOUND));
    return this;
  }

  /** GET …/contents/{path}?ref= → the file, base64 as the contents API sends it. */
  hasFile(path: string, content: string, ref: string): this {
    this.api
      .get(this.contentsPath(path))
      .query({ ref })
      .reply(this.answer(200, contentFile(path, content, { repo: `${this.owner}/${this.repo}` })));
    return this;
  }

  hasWorkflowFile(path: string, content: string, ref: string): this {
    return this.hasFile(path, content, ref);
  }

  hasNoWorkflowFile(path: string, ref: string): this {
    this.api.get(this.contentsPath(path)).query({ ref }).reply(this.answer(404, NOT_FOUND));
    return this;
  }

  /** Octokit sends `{path}` URL-encoded (`.github%2Fworkflows%2Fci.yml`); GitHub takes both spellings, so does this. */
  private contentsPath(path: string): (uri: string) => boolean {
    const expected = `${this.repoPath}/contents/${path}`;
    return (uri) => decodeURIComponent(uri.split("?")[0]!) === expected;
  }

  /** POST …/check-runs → 201, the check run GitHub made of the request. */
  expectsCheckRun(check?: BodyCheck, opts: { id?: number } = {}): this {
    const id = opts.id ?? this.nextId++;
    this.api
      .post(`${this.repoPath}/check-runs`)
      .reply(this.answer(201, (body: any) => checkRun(id, body, { repo: this.fullName }), {}, check));
    return this;
  }

  /** PATCH …/check-runs/{id} → 200 (or the given status, e.g. 404 for a deleted check run). */
  expectsCheckRunUpdate(id: number, check?: BodyCheck, opts: { status?: number } = {}): this {
    const status = opts.status ?? 200;
    this.api
      .patch(`${this.repoPath}/check-runs/${id}`)
      .reply(
        this.answer(
          status,
          (body: any) => (status < 400 ? checkRun(id, body, { repo: this.fullName }) : NOT_FOUND),
          {},
          check,
        ),
      );
    return this;
  }

  /** GET …/issues/{n}/comments, paged like GitHub. */
  hasComments(issueNumber: number, comments: object[], opts: { pageSize?: number } = {}): this {
    return this.paged(
      `${this.repoPath}/issues/${issueNumber}/comments`,
      comments,
      opts.pageSize ?? 100,
      (items) => items,
    );
  }

  /** POST …/issues/{n}/comments → 201 with `id`. */
  expectsComment(issueNumber: number, check?: BodyCheck, opts: { id?: number } = {}): this {
    const id = opts.id ?? this.nextId++;
    this.api
      .post(`${this.repoPath}/issues/${issueNumber}/comments`)
      .reply(
        this.answer(201, (body: any) => comment({ id, body: body.body, issueNumber, repo: this.fullName }), {}, check),
      );
    return this;
  }

  /** PATCH …/issues/comments/{id} → 200, or 404 when `gone`. */
  expectsCommentUpdate(commentId: number, check?: BodyCheck, opts: { gone?: boolean } = {}): this {
    this.api
      .patch(`${this.repoPath}/issues/comments/${commentId}`)
      .reply(
        this.answer(
          opts.gone ? 404 : 200,
          (body: any) => (opts.gone ? NOT_FOUND : comment({ id: commentId, body: body.body, repo: this.fullName })),
          {},
          check,
        ),
      );
    return this;
  }

  /** GET …/issues?state=open&labels=ci-medic → these issues. */
  hasOpenTrackingIssues(issues: object[], opts: { label?: string; pageSize?: number } = {}): this {
    const label = opts.label ?? "ci-medic";
    return this.paged(
      `${this.repoPath}/issues`,
      issues,
      opts.pageSize ?? 100,
      (items) => items,
      (q) => q.state === "open" && q.labels === label,
    );
  }

  /**
   * GET …/issues/{n} → the issue; 404 when `state` is "deleted"; 301 to the issue's new home when "transferred" (the
   * description documents it: GitHub redirects a transferred issue to `/repositories/{id}/issues/{n}`).
   */
  hasIssue(number: number, state: "open" | "closed" | "deleted" | "transferred" = "open"): this {
    const path = `${this.repoPath}/issues/${number}`;
    if (state === "deleted") this.api.get(path).reply(this.answer(404, NOT_FOUND));
    else if (state === "transferred")
      this.api.get(path).reply(
        this.answer(301, basicError("Moved Permanently"), {
          location: `${this.baseUrl.replace(/\/$/, "")}/repositories/1296269/issues/${number}`,
        }),
      );
    else this.api.get(path).reply(this.answer(200, issue({ number, state, repo: this.fullName })));
    return this;
  }

  /** GET …/labels/{name}: 200 when it exists, else 404 and then POST …/labels is expected (answering `createStatus`). */
  hasLabel(name: string, exists: boolean, opts: { createStatus?: 201 | 422; check?: BodyCheck } = {}): this {
    this.api
      .get(`${this.repoPath}/labels/${encodeURIComponent(name)}`)
      .reply(this.answer(exists ? 200 : 404, exists ? label(name, { repo: this.fullName }) : NOT_FOUND));
    if (!exists) {
      const status = opts.createStatus ?? 201;
      this.api
        .post(`${this.repoPath}/labels`)
        .reply(
          this.answer(
            status,
            (body: any) =>
              status === 201
                ? label(body.name, { color: body.color, description: body.description, repo: this.fullName })
                : validationFailed([{ resource: "Label", code: "already_exists", field: "name" }]),
            {},
            opts.check,
          ),
        );
    }
    return this;
  }

  /** POST …/issues → 201 with `number`. */
  expectsIssue(check?: BodyCheck, opts: { number?: number } = {}): this {
    const number = opts.number ?? this.nextId++;
    this.api
      .post(`${this.repoPath}/issues`)
      .reply(this.answer(201, (body: any) => issue({ number, ...body, repo: this.fullName }), {}, check));
    return this;
  }

  /** GET …/pulls?state=open&head=owner:branch → these pull requests. */
  hasOpenPulls(head: string, pulls: object[]): this {
    return this.paged(
      `${this.repoPath}/pulls`,
      pulls,
      100,
      (items) => items,
      (q) => q.state === "open" && q.head === head,
    );
  }

  /** GET …/commits/{sha}/pulls → these pull requests. */
  hasCommitPulls(sha: string, pulls: object[]): this {
    this.api.get(`${this.repoPath}/commits/${sha}/pulls`).query(true).reply(this.answer(200, pulls));
    return this;
  }

  /**
   * GET …/collaborators/{login}/permission → the user's role (`role_name`) and GitHub's legacy `permission` for it;
   * a custom role gives its base permission. `status` 404: not a collaborator (or no such user).
   */
  hasPermission(
    login: string,
    role: string,
    opts: { base?: "admin" | "write" | "read"; status?: 404 | 500 | 502 } = {},
  ): this {
    const path = `${this.repoPath}/collaborators/${login}/permission`;
    if (opts.status)
      this.api
        .get(path)
        .reply(this.answer(opts.status, basicError(opts.status === 404 ? "Not Found" : "Server Error")));
    else this.api.get(path).reply(this.answer(200, collaboratorPermission(login, role, opts.base)));
    return this;
  }

  /**
   * GET /orgs/{org}/teams/{team}/memberships/{login}: "active" or "pending" membership; "none" is GitHub's 404 (no
   * body, as documented); "forbidden" is the 403 an App without the organisation Members permission gets.
   */
  hasTeamMembership(
    org: string,
    team: string,
    login: string,
    state: "active" | "pending" | "none" | "forbidden",
  ): this {
    const path = `${new URL(this.baseUrl).pathname.replace(/\/$/, "")}/orgs/${org}/teams/${team}/memberships/${login}`;
    if (state === "none") this.api.get(path).reply(this.answer(404, ""));
    else if (state === "forbidden")
      this.api
        .get(path)
        .reply(
          this.answer(
            403,
            basicError(
              "Resource not accessible by integration",
              "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user",
            ),
          ),
        );
    else this.api.get(path).reply(this.answer(200, teamMembership(state)));
    return this;
  }

  /** Any request under the repository answered with a rate limit (403 with `x-ratelimit-*`, or 429 with `retry-after`). */
  isRateLimited(
    method: "GET" | "POST" | "PATCH",
    subPath: string,
    headers: Record<string, string>,
    status: 403 | 429 = 403,
  ): this {
    const path = `${this.repoPath}${subPath}`;
    const interceptor =
      method === "GET" ? this.api.get(path) : method === "POST" ? this.api.post(path) : this.api.patch(path);
    interceptor
      .query(true)
      .reply(
        this.answer(
          status,
          basicError(
            "API rate limit exceeded for installation.",
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
          ),
          headers,
        ),
      );
    return this;
  }

  /** Asserts every interceptor was used, every body check passed and every exchange matched GitHub's description. */
  done(): void {
    if (this.failures.length > 0) throw this.failures[0];
    const violations = takeViolations();
    if (violations.length > 0) throw new ConformanceError(violations);
    const pending = [...this.api.pendingMocks(), ...this.logs.pendingMocks()];
    if (pending.length > 0) throw new Error(`GitHub mock: expected requests never came:\n${pending.join("\n")}`);
  }

  /** The captured requests for a method and a path pattern. */
  find(method: string, path: RegExp | string): CapturedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    );
  }

  /** `paths`: the path, or several spellings of one list (the link to the next page follows the one asked for). */
  private paged(
    paths: string | string[],
    items: object[],
    pageSize: number,
    wrap: (items: object[]) => unknown,
    matches: (q: Record<string, string>) => boolean = () => true,
  ): this {
    const accepted = new Set(typeof paths === "string" ? [paths] : paths);
    const basePath = new URL(this.baseUrl).pathname.replace(/\/$/, "");
    const pages = Math.max(1, Math.ceil(items.length / pageSize));
    for (let page = 1; page <= pages; page++) {
      const slice = items.slice((page - 1) * pageSize, page * pageSize);
      const headers = (uri: string): Record<string, string> =>
        page < pages
          ? {
              link: `<${this.baseUrl.replace(/\/$/, "")}${uri.split("?")[0]!.replace(basePath, "")}?per_page=100&page=${page + 1}>; rel="next"`,
            }
          : {};
      this.api
        .get((uri) => accepted.has(uri.split("?")[0]!))
        .query((q) => (q.page ?? "1") === String(page) && (page > 1 || matches(q as Record<string, string>)))
        .reply(this.answer(200, wrap(slice), headers));
    }
    return this;
  }

  /** A nock reply function that records the request, runs the body check and answers. */
  private answer(
    status: number,
    data: unknown,
    headers: Record<string, string> | ((uri: string) => Record<string, string>) = {},
    check?: BodyCheck,
  ) {
    const self = this;
    return function (
      this: { req: { method?: string; headers: Record<string, string | string[] | undefined> } },
      uri: string,
      rawBody: unknown,
    ) {
      const body = parseBody(rawBody);
      const host = String(this.req.headers.host ?? "");
      self.requests.push({
        method: (this.req.method ?? "").toUpperCase(),
        path: uri,
        host,
        body,
        headers: { ...this.req.headers },
      });
      if (check) {
        try {
          check(body);
        } catch (error) {
          self.failures.push(error);
        }
      }
      const payload = typeof data === "function" ? (data as (b: any) => unknown)(body) : data;
      const replyHeaders = typeof headers === "function" ? headers(uri) : headers;
      return [status, payload as nock.Body, replyHeaders] as [number, nock.Body, Record<string, string>];
    };
  }
}

function parseBody(raw: unknown): any {
  if (typeof raw !== "string") return raw;
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Streams `bytes` in chunks so the reader sees several network chunks, as with a real log download. */
function chunked(bytes: Buffer, size: number): nock.Body {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts) as unknown as nock.Body;
}

// ---- Builders of GitHub API objects, shaped like real responses ----

export interface JobSpec {
  id: number;
  name: string;
  /** Name of the failing step (the job then fails); omit for a passing job. */
  failedStep?: string;
  conclusion?: "success" | "failure" | "timed_out" | "cancelled" | "skipped";
  runId?: number;
  /** The run attempt the job belongs to (1 by default). */
  runAttempt?: number;
  steps?: { name: string; conclusion: string | null }[];
  owner?: string;
  repo?: string;
  headSha?: string;
}

/** A job as `GET /repos/{o}/{r}/actions/runs/{id}/jobs` returns it. */
export function job(spec: JobSpec) {
  const owner = spec.owner ?? "Codertocat";
  const repo = spec.repo ?? "Hello-World";
  const runId = spec.runId ?? 30433642;
  const conclusion = spec.conclusion ?? (spec.failedStep ? "failure" : "success");
  const steps = spec.steps ?? [
    { name: "Set up job", conclusion: "success" },
    { name: "Run actions/checkout@v4", conclusion: "success" },
    ...(spec.failedStep
      ? [
          { name: spec.failedStep, conclusion: "failure" },
          { name: "Post Run actions/checkout@v4", conclusion: "success" },
        ]
      : [{ name: "Run npm test", conclusion: "success" }]),
    { name: "Complete job", conclusion: "success" },
  ];
  return {
    id: spec.id,
    run_id: runId,
    workflow_name: "CI",
    head_branch: "main",
    run_url: `https://api.github.com/repos/${owner}/${repo}/actions/runs/${runId}`,
    run_attempt: spec.runAttempt ?? 1,
    node_id: `CR_kwDO${spec.id}`,
    head_sha: spec.headSha ?? "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    url: `https://api.github.com/repos/${owner}/${repo}/actions/jobs/${spec.id}`,
    html_url: `https://github.com/${owner}/${repo}/actions/runs/${runId}/job/${spec.id}`,
    status: "completed",
    conclusion,
    created_at: "2026-11-23T08:00:00Z",
    started_at: "2026-11-23T08:00:05Z",
    completed_at: "2026-11-23T08:02:10Z",
    name: spec.name,
    steps: steps.map((s, i) => ({
      name: s.name,
      status: "completed",
      conclusion: s.conclusion,
      number: i + 1,
      started_at: "2026-11-23T08:00:05Z",
      completed_at: "2026-11-23T08:02:10Z",
    })),
    check_run_url: `https://api.github.com/repos/${owner}/${repo}/check-runs/${spec.id}`,
    labels: ["ubuntu-latest"],
    runner_id: 7,
    runner_name: "GitHub Actions 7",
    runner_group_id: 2,
    runner_group_name: "GitHub Actions",
  };
}
