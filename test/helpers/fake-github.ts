import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

// A small HTTP fake of the GitHub REST API on loopback, for tests that run the real server as a child process
// (GHE_HOST=127.0.0.1:<port>, GHE_PROTOCOL=http, so every call goes to `/api/v3/...`). It keeps state the way GitHub
// would (check runs, comments, issues) so a test can count what was posted.

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
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(data === undefined ? "" : JSON.stringify(data));
    };
    const repo = "/repos/([^/]+)/([^/]+)";
    let m: RegExpMatchArray | null;

    if (method === "POST" && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      return send(201, {
        token: "ghs_faketoken0123456789",
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: {},
      });
    }
    if (method === "GET" && path === "/app") return send(200, { id: 123, slug: "ci-medic", name: "ci-medic" });
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
      if (!attempt || !sent) return send(404, { message: "Not Found" });
      // GitHub queues the redelivery and answers at once.
      setTimeout(() => void this.deliver(sent.event, sent.payload, attempt.guid, true), 50);
      return send(202, {});
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/actions/runs/(\\d+)/jobs$`)))) {
      const jobs = (this.runs.get(Number(m[3])) ?? []).map((j) => ({
        id: j.id,
        run_id: Number(m![3]),
        name: j.name,
        status: "completed",
        conclusion: "failure",
        html_url: `https://github.com/${m![1]}/${m![2]}/actions/runs/${m![3]}/job/${j.id}`,
        steps: [
          { name: "Set up job", status: "completed", conclusion: "success", number: 1 },
          { name: j.failedStep ?? "Run npm test", status: "completed", conclusion: "failure", number: 2 },
        ],
      }));
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
      return send(404, { message: "Not Found" });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/commits/([0-9a-f]+)/(pulls|check-runs)$`)))) {
      return send(200, m[4] === "pulls" ? [] : { total_count: 0, check_runs: [] });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/pulls$`)))) return send(200, []);
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/check-runs$`)))) {
      const id = this.state.nextId++;
      this.state.checkRuns.set(id, { id, ...body });
      return send(201, { id, ...body });
    }
    if (method === "PATCH" && (m = path.match(new RegExp(`^${repo}/check-runs/(\\d+)$`)))) {
      const id = Number(m[3]);
      this.state.checkRuns.set(id, { ...this.state.checkRuns.get(id), ...body });
      return send(200, { id, ...body });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/issues/(\\d+)/comments$`)))) {
      const issue = Number(m[3]);
      return send(
        200,
        [...this.state.comments.values()].filter((c) => c.issue === issue),
      );
    }
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/issues/(\\d+)/comments$`)))) {
      const id = this.state.nextId++;
      const comment = {
        id,
        issue: Number(m[3]),
        body: body.body,
        user: { login: "ci-medic[bot]", type: "Bot", id: 77 },
        performed_via_github_app: { id: 123, slug: "ci-medic" },
        html_url: `https://github.com/${m[1]}/${m[2]}/issues/${m[3]}#issuecomment-${id}`,
      };
      this.state.comments.set(id, comment);
      return send(201, comment);
    }
    if (method === "PATCH" && (m = path.match(new RegExp(`^${repo}/issues/comments/(\\d+)$`)))) {
      const id = Number(m[3]);
      const existing = this.state.comments.get(id);
      if (!existing) return send(404, { message: "Not Found" });
      existing.body = body.body;
      return send(200, existing);
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/issues$`)))) {
      return send(
        200,
        [...this.state.issues.values()].filter((i) => i.state === "open"),
      );
    }
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/issues$`)))) {
      const number = this.state.nextId++;
      const issue = {
        number,
        id: number,
        state: "open",
        ...body,
        labels: (body.labels ?? []).map((name: string) => ({ name })),
        html_url: `https://github.com/${m[1]}/${m[2]}/issues/${number}`,
      };
      this.state.issues.set(number, issue);
      return send(201, issue);
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/issues/(\\d+)$`)))) {
      const issue = this.state.issues.get(Number(m[3]));
      return issue ? send(200, issue) : send(404, { message: "Not Found" });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${repo}/labels/(.+)$`))))
      return send(200, { name: decodeURIComponent(m[3]!) });
    if (method === "POST" && (m = path.match(new RegExp(`^${repo}/labels$`)))) return send(201, body);
    send(404, { message: `fake GitHub has no route for ${method} ${path}` });
  }
}
