import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "./metrics.js";

// Probot 14 has no express router (`getRouter` is gone): the app function gets `addHandler`, and each handler answers
// a request by returning true or passes it on by returning false.

export type Handler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface QueueHealth {
  wedged: boolean;
  detail?: string;
}

export interface RouteDeps {
  metrics: Pick<Metrics, "render" | "registry">;
  /** Throws when the database file is missing or cannot be queried. */
  checkDatabase: () => Promise<void>;
  /** Throws when a migration is not applied. */
  checkMigrations: () => Promise<void>;
  checkQueue: () => Promise<QueueHealth>;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Gets the reason a readiness check failed; the HTTP answer only names the check. */
  log?: { warn: (obj: object, msg: string) => void };
  /** True while the server drains on SIGTERM: /readyz answers 503 so that a load balancer sends webhooks elsewhere. */
  stopping?: () => boolean;
  /** A check that has not answered after this long fails (a locked SQLite file must not hang the probe). */
  checkTimeoutMs?: number;
}

type CheckResult = "ok" | string;

export function observabilityHandler(deps: RouteDeps): Handler {
  const expected = deps.metricsToken ? digest(deps.metricsToken) : undefined;
  const timeoutMs = deps.checkTimeoutMs ?? 5000;

  async function run(
    name: string,
    failure: string,
    // biome-ignore lint/suspicious/noConfusingVoidType: the database and migration checks resolve to nothing
    check: () => Promise<QueueHealth | undefined | void>,
  ): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (result?.wedged) {
        deps.log?.warn({ check: name, detail: result.detail }, "readiness check failed");
        return result.detail ? `${failure}: ${result.detail}` : failure;
      }
      return "ok";
    } catch (error) {
      deps.log?.warn({ check: name, err: error }, "readiness check failed");
      return failure;
    } finally {
      clearTimeout(timer);
    }
  }

  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") {
      send(res, 200, "text/plain; charset=utf-8", "ok");
      return true;
    }
    if (path === "/readyz") {
      if (deps.stopping?.()) {
        send(res, 503, "application/json", JSON.stringify({ status: "stopping" }));
        return true;
      }
      const database = await run("database", "database missing or unreachable", deps.checkDatabase);
      // Without a database the other two checks can only fail the same way; name the cause once.
      const migrations =
        database === "ok" ? await run("migrations", "migrations not applied", deps.checkMigrations) : "not checked";
      const queue = database === "ok" ? await run("queue", "queue wedged", deps.checkQueue) : "not checked";
      const ready = database === "ok" && migrations === "ok" && queue === "ok";
      const body = JSON.stringify({ status: ready ? "ready" : "not ready", checks: { database, migrations, queue } });
      send(res, ready ? 200 : 503, "application/json", body);
      return true;
    }
    if (path === "/metrics") {
      if (expected && !authorized(req.headers.authorization, expected)) {
        res.setHeader("www-authenticate", 'Bearer realm="ci-medic metrics"');
        send(res, 401, "text/plain; charset=utf-8", "unauthorized");
        return true;
      }
      send(res, 200, deps.metrics.registry.contentType, await deps.metrics.render());
      return true;
    }
    return false;
  };
}

/** Mounts /healthz, /readyz and /metrics on Probot's server (`options.addHandler` of the app function). */
export function registerRoutes(target: { addHandler: (handler: Handler) => void }, deps: RouteDeps): void {
  target.addHandler(observabilityHandler(deps));
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(res.req?.method === "HEAD" ? undefined : body);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}
