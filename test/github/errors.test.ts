import { describe, expect, it } from "vitest";
import { rateLimitRetryAt } from "../../src/github/errors.js";

const now = Date.parse("2026-11-23T08:30:00Z");

describe("rateLimitRetryAt", () => {
  it("prefers retry-after (seconds from now)", () => {
    expect(
      rateLimitRetryAt(
        403,
        { "retry-after": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" },
        now,
      )?.toISOString(),
    ).toBe("2026-11-23T08:31:00.000Z");
  });

  it("uses x-ratelimit-reset (epoch seconds) when the quota is spent", () => {
    const reset = Math.floor(now / 1000) + 900;
    expect(
      rateLimitRetryAt(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }, now)?.toISOString(),
    ).toBe("2026-11-23T08:45:00.000Z");
  });

  it("does not treat a 403 with quota left as a rate limit", () => {
    expect(
      rateLimitRetryAt(403, { "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1900000000" }, now),
    ).toBeUndefined();
  });

  it("waits a minute on a bare 429 and ignores other statuses", () => {
    expect(rateLimitRetryAt(429, {}, now)?.toISOString()).toBe("2026-11-23T08:31:00.000Z");
    expect(rateLimitRetryAt(404, { "retry-after": "5" }, now)).toBeUndefined();
  });
});
