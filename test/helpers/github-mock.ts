import { Readable } from "node:stream";
import nock from "nock";
import { githubOctokit } from "../../src/github/octokit.js";

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

export interface CapturedRequest {
  method: string;
  /** Path with query string, e.g. `/repos/o/r/check-runs`. On the log host, the path of the signed URL. */
  path: string;
  host: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export type BodyCheck = (body: any) => void;

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
      .reply(this.answer(201, { token, expires_at: "2099-01-01T00:00:00Z", permissions: {} }));
    return this;
  }

  /** `.github/ci-medic.yml` absent from the repository and from the organisation's `.github` repository: defaults. */
  hasNoConfig(): this {
    const path = `/contents/${encodeURIComponent(".github/ci-medic.yml")}`;
    this.api.get(`${this.repoPath}${path}`).reply(this.answer(404, { message: "Not Found" }));
    this.api
      .get(`${this.repoPath.replace(/\/[^/]+$/, "/.github")}${path}`)
      .reply(this.answer(404, { message: "Not Found" }));
    return this;
  }

  /** `.github/ci-medic.yml` with this YAML (Probot's config plugin asks for the raw media type). */
  hasConfig(yaml: string): this {
    this.api
      .get(`${this.repoPath}/contents/${encodeURIComponent(".github/ci-medic.yml")}`)
      .reply(this.answer(200, yaml, { "content-type": "application/vnd.github.raw; charset=utf-8" }));
    return this;
  }

  /** GET …/actions/runs/{id}/jobs, split into pages of `pageSize` linked with `Link` headers as GitHub does. */
  hasRunJobs(runId: number, jobs: object[], opts: { pageSize?: number } = {}): this {
    return this.paged(`${this.repoPath}/actions/runs/${runId}/jobs`, jobs, opts.pageSize ?? 100, (items) => ({
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

  /** GET …/actions/jobs/{id}/logs → 404 (or 410): the log is past retention. */
  hasExpiredLog(jobId: number, status: 404 | 410 = 404): this {
    this.api.get(`${this.repoPath}/actions/jobs/${jobId}/logs`).reply(this.answer(status, { message: "Not Found" }));
    return this;
  }

  /** GET …/contents/{path}?ref= → the file, base64 as the contents API sends it. */
  hasWorkflowFile(path: string, content: string, ref: string): this {
    const encoded = Buffer.from(content, "utf8")
      .toString("base64")
      .replace(/(.{60})/g, "$1\n");
    this.api
      .get(this.contentsPath(path))
      .query({ ref })
      .reply(
        this.answer(200, {
          type: "file",
          encoding: "base64",
          size: Buffer.byteLength(content),
          name: path.split("/").pop(),
          path,
          content: encoded,
        }),
      );
    return this;
  }

  hasNoWorkflowFile(path: string, ref: string): this {
    this.api
      .get(this.contentsPath(path))
      .query({ ref })
      .reply(this.answer(404, { message: "Not Found" }));
    return this;
  }

  /** Octokit sends `{path}` URL-encoded (`.github%2Fworkflows%2Fci.yml`); GitHub takes both spellings, so does this. */
  private contentsPath(path: string): (uri: string) => boolean {
    const expected = `${this.repoPath}/contents/${path}`;
    return (uri) => decodeURIComponent(uri.split("?")[0]!) === expected;
  }

  /** POST …/check-runs → 201 with `id`. */
  expectsCheckRun(check?: BodyCheck, opts: { id?: number } = {}): this {
    const id = opts.id ?? this.nextId++;
    this.api.post(`${this.repoPath}/check-runs`).reply(this.answer(201, (body: any) => ({ id, ...body }), {}, check));
    return this;
  }

  /** PATCH …/check-runs/{id} → 200 (or the given status, e.g. 404 for a deleted check run). */
  expectsCheckRunUpdate(id: number, check?: BodyCheck, opts: { status?: number } = {}): this {
    const status = opts.status ?? 200;
    this.api
      .patch(`${this.repoPath}/check-runs/${id}`)
      .reply(
        this.answer(status, (body: any) => (status < 400 ? { id, ...body } : { message: "Not Found" }), {}, check),
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
      .reply(this.answer(201, (body: any) => comment({ id, body: body.body }), {}, check));
    return this;
  }

  /** PATCH …/issues/comments/{id} → 200, or 404 when `gone`. */
  expectsCommentUpdate(commentId: number, check?: BodyCheck, opts: { gone?: boolean } = {}): this {
    this.api
      .patch(`${this.repoPath}/issues/comments/${commentId}`)
      .reply(
        this.answer(
          opts.gone ? 404 : 200,
          (body: any) => (opts.gone ? { message: "Not Found" } : comment({ id: commentId, body: body.body })),
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

  /** GET …/issues/{n} → the issue (404 when `state` is "deleted"). */
  hasIssue(number: number, state: "open" | "closed" | "deleted" = "open"): this {
    this.api
      .get(`${this.repoPath}/issues/${number}`)
      .reply(
        this.answer(
          state === "deleted" ? 404 : 200,
          state === "deleted" ? { message: "Not Found" } : issue({ number, state }),
        ),
      );
    return this;
  }

  /** GET …/labels/{name}: 200 when it exists, else 404 and then POST …/labels is expected (answering `createStatus`). */
  hasLabel(name: string, exists: boolean, opts: { createStatus?: 201 | 422; check?: BodyCheck } = {}): this {
    this.api
      .get(`${this.repoPath}/labels/${encodeURIComponent(name)}`)
      .reply(this.answer(exists ? 200 : 404, exists ? { name, color: "d93f0b" } : { message: "Not Found" }));
    if (!exists) {
      const status = opts.createStatus ?? 201;
      this.api.post(`${this.repoPath}/labels`).reply(
        this.answer(
          status,
          (body: any) =>
            status === 201
              ? body
              : {
                  message: "Validation Failed",
                  errors: [{ resource: "Label", code: "already_exists", field: "name" }],
                },
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
      .reply(this.answer(201, (body: any) => issue({ number, ...body, labels: body.labels }), {}, check));
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
    interceptor.query(true).reply(this.answer(status, { message: "API rate limit exceeded" }, headers));
    return this;
  }

  /** Asserts every interceptor was used and every body check passed. */
  done(): void {
    if (this.failures.length > 0) throw this.failures[0];
    const pending = [...this.api.pendingMocks(), ...this.logs.pendingMocks()];
    if (pending.length > 0) throw new Error(`GitHub mock: expected requests never came:\n${pending.join("\n")}`);
  }

  /** The captured requests for a method and a path pattern. */
  find(method: string, path: RegExp | string): CapturedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    );
  }

  private paged(
    path: string,
    items: object[],
    pageSize: number,
    wrap: (items: object[]) => unknown,
    matches: (q: Record<string, string>) => boolean = () => true,
  ): this {
    const pages = Math.max(1, Math.ceil(items.length / pageSize));
    for (let page = 1; page <= pages; page++) {
      const slice = items.slice((page - 1) * pageSize, page * pageSize);
      const headers: Record<string, string> = {};
      if (page < pages) {
        headers.link = `<${this.baseUrl.replace(/\/$/, "")}${path.replace(new URL(this.baseUrl).pathname.replace(/\/$/, ""), "")}?per_page=100&page=${page + 1}>; rel="next"`;
      }
      this.api
        .get(path)
        .query((q) => (q.page ?? "1") === String(page) && (page > 1 || matches(q as Record<string, string>)))
        .reply(this.answer(200, wrap(slice), headers));
    }
    return this;
  }

  /** A nock reply function that records the request, runs the body check and answers. */
  private answer(status: number, data: unknown, headers: Record<string, string> = {}, check?: BodyCheck) {
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
      return [status, payload as nock.Body, headers] as [number, nock.Body, Record<string, string>];
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
    run_attempt: 1,
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

/** An issue comment as `GET …/issues/{n}/comments` returns it; by default written by the app. */
export function comment(spec: {
  id: number;
  body: string;
  login?: string;
  type?: "Bot" | "User";
  appSlug?: string | null;
}) {
  const login = spec.login ?? "ci-medic[bot]";
  const type = spec.type ?? (login.endsWith("[bot]") ? "Bot" : "User");
  const appSlug = spec.appSlug === undefined ? (type === "Bot" ? login.replace(/\[bot\]$/, "") : null) : spec.appSlug;
  return {
    id: spec.id,
    node_id: `IC_kwDO${spec.id}`,
    url: `https://api.github.com/repos/Codertocat/Hello-World/issues/comments/${spec.id}`,
    html_url: `https://github.com/Codertocat/Hello-World/issues/1#issuecomment-${spec.id}`,
    body: spec.body,
    user: { login, id: type === "Bot" ? 41898282 : 21031067, type },
    created_at: "2026-11-23T08:00:00Z",
    updated_at: "2026-11-23T08:00:00Z",
    author_association: type === "Bot" ? "NONE" : "CONTRIBUTOR",
    performed_via_github_app: appSlug ? { id: 123, slug: appSlug, name: appSlug } : null,
  };
}

/** An issue as the issues API returns it. */
export function issue(spec: {
  number: number;
  state?: string;
  title?: string;
  body?: string;
  labels?: (string | { name: string })[];
}) {
  return {
    id: 9_000_000 + spec.number,
    number: spec.number,
    state: spec.state ?? "open",
    title: spec.title ?? `Issue ${spec.number}`,
    body: spec.body ?? "",
    labels: (spec.labels ?? []).map((l) => (typeof l === "string" ? { name: l } : l)),
    user: { login: "ci-medic[bot]", type: "Bot" },
    html_url: `https://github.com/Codertocat/Hello-World/issues/${spec.number}`,
  };
}

/** A pull request as `GET …/pulls` and `GET …/commits/{sha}/pulls` return it (the fields ci-medic reads). */
export function pull(spec: {
  number: number;
  headSha: string;
  headRef: string;
  headRepo: string;
  baseRepo?: string;
  baseRef?: string;
  state?: string;
}) {
  const baseRepo = spec.baseRepo ?? "Codertocat/Hello-World";
  return {
    id: 1_000_000 + spec.number,
    number: spec.number,
    state: spec.state ?? "open",
    html_url: `https://github.com/${baseRepo}/pull/${spec.number}`,
    head: {
      ref: spec.headRef,
      sha: spec.headSha,
      label: `${spec.headRepo.split("/")[0]}:${spec.headRef}`,
      repo: { full_name: spec.headRepo },
    },
    base: {
      ref: spec.baseRef ?? "main",
      sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
      repo: { full_name: baseRepo },
    },
  };
}
