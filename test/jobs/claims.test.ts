import { describe, expect, it } from "vitest";
import { isStale, staleClaimMs } from "../../src/jobs/claims.js";
import { JOB_TIME_BUDGET_MS } from "../../src/jobs/time-budget.js";
import { backoffDelayMs, DEFAULT_JOB_ATTEMPTS, retrySpanMs } from "../../src/queue/backoff.js";

describe("when a claim of the fix loop is stale", () => {
  it("after every try its job could make: five tries of the time budget and 1.5 leases each, and the waits between them", () => {
    expect(DEFAULT_JOB_ATTEMPTS).toBe(5);
    // pg-boss waits longest: up to 10, 20, 40 and 80 s after the first four failed tries.
    expect(retrySpanMs()).toBe(150_000);
    for (let failed = 1; failed < 5; failed++)
      expect(backoffDelayMs(failed, { random: () => 1 })).toBeLessThan(5_000 * 2 ** failed);
    expect(staleClaimMs(60_000)).toBe(5 * (JOB_TIME_BUDGET_MS + 90_000) + 150_000);
    expect(staleClaimMs(60_000)).toBe(60 * 60_000);
    // A longer lease (JOB_LEASE_SECONDS, up to 600) takes longer to notice a dead process.
    expect(staleClaimMs(600_000)).toBe(5 * (JOB_TIME_BUDGET_MS + 900_000) + 150_000);
  });

  it("counts from the claim's last renewal", () => {
    const now = new Date("2026-12-03T12:00:00Z");
    expect(isStale(new Date(now.getTime() - 59 * 60_000), 60_000, now)).toBe(false);
    expect(isStale(new Date(now.getTime() - 61 * 60_000), 60_000, now)).toBe(true);
  });
});
