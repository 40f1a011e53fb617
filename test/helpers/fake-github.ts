import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { checkExchange, recordViolations } from "./github-conformance.js";
import { app, basicError, checkRun, comment, installationToken, issue, job, label } from "./github-mock.js";

// A small HTTP fake of the GitHub REST API on loopback, for tests that run the real server as a child process
// (GHE_HOST=127.0.0.1:<port>, GHE_PROTOCOL=http, so every call goes to `/api/v3/...`). It keeps state the way GitHub
// would (check runs, comments, issues) so a test can count what was posted. Its answers are built by the same factories
// as the nock mocks and every exchange under /api/v3 is checked against GitHub's description (github-conformance.ts):
// a mismatch fails the running test.

export interface Recorded {
  method: string;
  path: string;
  body: any;
}

interface State {
  checkRuns: Map<number, any>;
  comments: Map<number, any>;
  issues: Map<number, any>;
  nextId: number;
}

export interface FakeJob {
  id: number;
  name: string;
  log: string;
  failedStep?: string;
}

/** One attempt to deliver a webhook, as `GET /app/hook/deliveries` lists it. */
export interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
}

/** Where the fake delivers the App's webhooks, as GitHub would (the App's webhook URL and secret). */
export interface WebhookTarget {
  url: string;
  secret: string;
}

export class FakeGitHub {
  readonly requests: Recorded[] = [];
  readonly state: State = { checkRuns: new Map(), comments: new Map(), issues: new Map(), nextId: 100 };
  /** Jobs of each run id. */
  readonly runs = new Map<number, FakeJob[]>();
  /** While set, log downloads wait for it: lets a test kill the server in the middle of a job. */
  holdLogs: Promise<void> | undefined;
  /** Every delivery attempt, newest first, as GitHub keeps them for `GET /app/hook/deliveries`. */
  readonly hookDeliveries: HookDelivery[] = [];
  webhookTarget: WebhookTarget | undefined;
  private readonly sentEvents = new Map<string, { event: string; payload: any }>();
  private nextDeliveryId = 1;
  private server = http.createServer((req, res) => void this.handle(req, res));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Delivers a webhook to `webhookTarget` as GitHub does (signed, X-GitHub-Delivery = the event's guid) and records the
   * attempt with its status code (0 when the connection failed). Returns that status code.
   */
  async deliver(event: string, payload: any, guid: string = randomUUID(), redelivery = false): Promise<number> {
    const target = this.webhookTarget;
    if (!target) throw new Error("fake GitHub: no webhook target");
    this.sentEvents.set(guid, { event, payload });
    const body = JSON.stringify(payload);
    let status = 0;
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": guid,
          "x-hub-signature-256": `sha256=${createHmac("sha256", target.secret).update(body).digest("hex")}`,
        },
        body,
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0; // refused: the server is down
    }
    this.hookDeliveries.unshift({
      id: this.nextDeliveryId++,
      guid,
      delivered_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      redelivery,
      duration: 0.01,
      status: status === 0 ? "failed to connect" : status < 400 ? "OK" : "Invalid HTTP Response",
      status_code: status,
      event,
      action: payload?.action ?? null,
      installation_id: payload?.installation?.id ?? null,
      repository_id: payload?.repository?.id ?? null,
      throttled_at: null,
    });
    return status;
  }

  count(method: string, pattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path)).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const url = new URL(req.url ?? "/", `http://${this.host}`);
    const path = url.pathname.replace(/^\/api\/v3/, "");
    const method = req.method ?? "GET";
    this.requests.push({ method, path: path + url.search, body });
    const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
      if (url.pathname.startsWith("/api/v3/"))
        recordViolations(
          checkExchange({
            method,
            path: url.pathname + url.search,
            requestBody: body,
            status,
            responseBody: data,
            responseHeaders: headers,
          }),
        );
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(data === undefined ? "" : JSON.stringify(data));
    };
    const repo = "/repos/([^/]+)/([^/]+)";
    let m: RegExpMatchArray | null;

    if (method === "POST" && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      return send(201, installationToken("ghs_faketoken0123456789"));
    }
    if (method === "GET" && path === "/app") return send(200, app("ci-medic"));
    if (method === "GET" && path === "/app/hook/deliveries") {
      // Newest first, pages of per_page, the next page's cursor in the link header (as GitHub paginates them).
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const page = this.hookDeliveries.slice(cursor, cursor + perPage);
      const more = cursor + perPage < this.hookDeliveries.length;
      const next = `<http://${this.host}/api/v3/app/hook/deliveries?per_page=${perPage}&cursor=${cursor + perPage}>; rel="next"`;
      return send(200, page, more ? { link: next } : {});
    }
    if (method === "POST" && (m = path.match(/^\/app\/hook\/deliveries\/(\d+)\/attempts$/))) {
      const attempt = this.hookDeliveries.find((d) => d.id === Number(m![1]));
      const sent = attempt && this.sentEvents.get(attempt.guid);
      if (!attempt || !sent) return send(404, basicError("Not Found"));
      // GitHub queues the redelivery and answers at once.
      setTimeout(() => void this.deliver(sent.event, sent.payload, attempt.guid, true), 50);
      return send(202, {});
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/actions/runs/(\\d+)(?:/attempts/(\\d+))?/jobs$`)))) {
      const runId = Number(m[3]);
      const jobs = (this.runs.get(runId) ?? []).map((j) =>
        job({
          id: j.id,
          name: j.name,
          runId,
          runAttempt: Number(m![4] ?? 1),
          owner: m![1],
          repo: m![2],
          failedStep: j.failedStep ?? "Run npm test",
        }),
      );
      return send(200, { total_count: jobs.length, jobs });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/actions/jobs/(\\d+)/logs$`)))) {
      return send(302, undefined, { location: `http://${this.host}/blob/logs/${m[3]}` });
    }
    if (method === "GET" && (m = path.match(/^\/blob\/logs\/(\d+)$/))) {
      if (this.holdLogs) await this.holdLogs;
      const job = [...this.runs.values()].flat().find((j) => j.id === Number(m![1]));
      res.writeHead(job ? 200 : 404, { "content-type": "text/plain" });
      return void res.end(job?.log ?? "");
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/contents/(.+)$`)))) {
      return send(404, basicError("Not Found"));
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/commits/([0-9a-f]+)/(pulls|check-runs)$`)))) {
      return send(200, m[4] === "pulls" ? [] : { total_count: 0, check_runs: [] });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/pulls$`)))) return send(200, []);
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/check-runs$`)))) {
      const id = this.state.nextId++;
      this.state.checkRuns.set(id, { id, ...body });
      return send(201, checkRun(id, body, { repo: `${m[1]}/${m[2]}` }));
    }
    if (method === "PATCH" && (m = path.match(new RegExp(`^${repo}/check-runs/(\\d+)$`)))) {
      const id = Number(m[3]);
      const merged = { ...this.state.checkRuns.get(id), ...body };
      this.state.checkRuns.set(id, merged);
      return send(200, checkRun(id, merged, { repo: `${m[1]}/${m[2]}` }));
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/issues/(\\d+)/comments$`)))) {
      const issue = Number(m[3]);
      const listed = [...this.state.comments.values()].filter((c) => c.issue === issue);
      return send(
        200,
        listed.map((c) => asComment(c, `${m![1]}/${m![2]}`)),
      );
    }
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/issues/(\\d+)/comments$`)))) {
      const id = this.state.nextId++;
      const stored = { id, issue: Number(m[3]), body: body.body };
      this.state.comments.set(id, stored);
      return send(201, asComment(stored, `${m[1]}/${m[2]}`));
    }
    if (method === "PATCH" && (m = path.match(new RegExp(`^${repo}/issues/comments/(\\d+)$`)))) {
      const id = Number(m[3]);
      const existing = this.state.comments.get(id);
      if (!existing) return send(404, basicError("Not Found"));
      existing.body = body.body;
      return send(200, asComment(existing, `${m[1]}/${m[2]}`));
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/issues$`)))) {
      const open = [...this.state.issues.values()].filter((i) => i.state === "open");
      return send(
        200,
        open.map((i) => issue({ ...i, repo: `${m![1]}/${m![2]}` })),
      );
    }
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/issues$`)))) {
      const number = this.state.nextId++;
      const stored = { number, state: "open", title: body.title, body: body.body, labels: body.labels ?? [] };
      this.state.issues.set(number, stored);
      return send(201, issue({ ...stored, repo: `${m[1]}/${m[2]}` }));
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/issues/(\\d+)$`)))) {
      const stored = this.state.issues.get(Number(m[3]));
      return stored ? send(200, issue({ ...stored, repo: `${m[1]}/${m[2]}` })) : send(404, basicError("Not Found"));
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/labels/(.+)$`))))
      return send(200, label(decodeURIComponent(m[3]!), { repo: `${m[1]}/${m[2]}` }));
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/labels$`))))
      return send(201, label(body.name, { color: body.color, description: body.description, repo: `${m[1]}/${m[2]}` }));
    send(404, { message: `fake GitHub has no route for ${method} ${path}` });
  }
}

/** A stored comment as GitHub answers it: written by the App. */
function asComment(c: { id: number; issue: number; body: string }, repo: string) {
  return comment({ id: c.id, body: c.body, issueNumber: c.issue, repo, login: "ci-medic[bot]" });
}
