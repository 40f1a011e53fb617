import { createRequire } from "node:module";
import { afterEach } from "vitest";
import { ConformanceError, checkExchange, recordViolations, takeViolations } from "./github-conformance.js";

// Loaded by vitest before every test file (vitest.config.ts `setupFiles`). Every nock interceptor on GitHub's API host
// (api.github.com, or a GitHub Enterprise base path `/api/v3`), whether made by GitHubMock or by `nock()` directly,
// answers through a wrapper that checks the exchange against GitHub's description (github-conformance.ts). The answer
// still goes out as mocked, so the code under test runs on; the mismatch fails the test in afterEach (and in
// GitHubMock.done(), nearer the cause).

type ReplyFn = (this: any, uri: string, body: unknown) => unknown;
interface InterceptorLike {
  scope: { basePath: string; basePathname: string };
  method: string;
  req?: { headers: Record<string, unknown> };
}

const require = createRequire(import.meta.url);
const Interceptor = require("nock/lib/interceptor.js") as { prototype: Record<string, any> };

function isGitHubApi(interceptor: InterceptorLike): boolean {
  const base = interceptor.scope.basePath;
  return /^https?:\/\/api\.github\.com(:\d+)?$/.test(base) || interceptor.scope.basePathname.startsWith("/api/v3");
}

if (!Interceptor.prototype.__conformance) {
  const reply = Interceptor.prototype.reply as (this: InterceptorLike, ...args: unknown[]) => unknown;
  Interceptor.prototype.__conformance = true;
  Interceptor.prototype.reply = function (this: InterceptorLike, ...args: unknown[]) {
    if (!isGitHubApi(this)) return reply.apply(this, args);
    const [statusOrFn, body, headers] = args;
    const answer: ReplyFn =
      typeof statusOrFn === "function"
        ? (statusOrFn as ReplyFn)
        : async function (this: any, uri, requestBody) {
            const data = typeof body === "function" ? await (body as ReplyFn).call(this, uri, requestBody) : body;
            return [(statusOrFn as number | undefined) ?? 200, data, headers];
          };
    const method = this.method;
    return reply.call(this, async function (this: InterceptorLike, uri: string, requestBody: unknown) {
      const result = (await answer.call(this, uri, requestBody)) as [number, unknown?, Record<string, unknown>?];
      const [status, data, replyHeaders] = result;
      recordViolations(
        checkExchange({
          method,
          path: uri,
          requestBody,
          status,
          responseBody: data,
          responseHeaders: replyHeaders,
        }),
      );
      return result;
    });
  };
}

afterEach(() => {
  const list = takeViolations();
  if (list.length > 0) throw new ConformanceError(list);
});
