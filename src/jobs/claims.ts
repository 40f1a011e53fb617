import type { Db } from "../db/client.js";
import { DEFAULT_JOB_ATTEMPTS, retrySpanMs } from "../queue/backoff.js";
import { JOB_TIME_BUDGET_MS } from "./time-budget.js";

// The fix loop's claims (FixProposal.claimedBy: the push of a shown change; Fix.nextBy: what follows an attempt;
// Fix.proposingBy: the first proposal) are taken by one job with a conditional update. A job that fails for good, or
// whose process dies for good, leaves its claim behind, and nothing else would ever take it: a claim that is stale may
// be taken over, again by a conditional update on the claim and the row's `updatedAt` as read, so two requests that
// both find it stale take it once.

/**
 * How old a claim must be before another request may take it over: older than the longest life of the job that made
 * it, so that no try of that job can still be running.
 *
 * - A job is tried at most DEFAULT_JOB_ATTEMPTS times (nothing in the fix loop is enqueued with more).
 * - A try ends within JOB_TIME_BUDGET_MS; a try whose process dies ends when its lease is out and the next look at
 *   leases takes it back (every third of a lease on SQLite, every half on pg-boss): at most 1.5 leases after it last
 *   renewed, and it renewed within its time budget.
 * - Between tries the queue waits its backoff, at most `retrySpanMs` in all.
 *
 * With the defaults (10-minute budget, 60-second lease) that is 5 × (600 + 90) s + 150 s: an hour.
 *
 * What the bound does not cover is a job waiting in the queue (behind a rate limit's reset, or behind other jobs of its
 * installation): it is not running then, and when it runs again it renews its claim with a conditional update on its
 * own key before it does anything, so a claim taken over meanwhile stops it (the holder's retry then sees the claim as
 * another request's). A renewal moves `updatedAt`, so the bound counts from the holder's last sign of life.
 */
export function staleClaimMs(leaseMs: number): number {
  const perTry = JOB_TIME_BUDGET_MS + Math.ceil(leaseMs * 1.5);
  return DEFAULT_JOB_ATTEMPTS * perTry + retrySpanMs(DEFAULT_JOB_ATTEMPTS);
}

/** The time before which a claim last renewed is stale. */
export function staleBefore(leaseMs: number, now = new Date()): Date {
  return new Date(now.getTime() - staleClaimMs(leaseMs));
}

export function isStale(updatedAt: Date, leaseMs: number, now = new Date()): boolean {
  return updatedAt.getTime() < staleBefore(leaseMs, now).getTime();
}

/**
 * Whether the job holding `nextBy` finished its part: its follow-up was shown (or went further), and `/approve` decides
 * from here. Such a claim is not stale however old, or a later failing run would show a second follow-up over the
 * first and refuse an `/approve` written in between.
 */
export async function followUpShown(db: Db, fixId: number, nextBy: string): Promise<boolean> {
  const proposal = await db.fixProposal.findUnique({
    where: { fixId_requestKey: { fixId, requestKey: nextBy } },
    select: { state: true },
  });
  return proposal !== null && proposal.state !== "draft";
}
