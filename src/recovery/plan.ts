import type { Delivery } from "../github/app-deliveries.js";

// Which failed webhook deliveries to ask GitHub to deliver again. GitHub never redelivers by itself: a delivery that
// got a 5xx, a refused connection or no answer (the server was down or restarting) is lost unless someone asks.
// Pure: the deliveries GitHub listed and the event ids ci-medic recorded in, the decision out.

export interface RecoveryLimits {
  /** Redeliveries asked in one pass, at most. */
  maxRedeliveries: number;
  /** An event whose deliveries failed this many times is left alone (a permanent problem, not an outage). */
  maxAttemptsPerEvent: number;
}

export interface RecoveryPlan {
  /** One attempt per event to redeliver (its latest), oldest event first. */
  redeliver: Delivery[];
  /** Events whose every attempt failed at GitHub's end but which ci-medic did record (its answer was lost). */
  recorded: string[];
  givenUp: string[];
  overLimit: string[];
}

/** 2xx and 3xx are what GitHub counts as delivered; 0 is no answer at all. */
export function delivered(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 400;
}

export function planRedeliveries(
  deliveries: readonly Delivery[],
  recordedGuids: ReadonlySet<string>,
  limits: RecoveryLimits,
): RecoveryPlan {
  const byEvent = new Map<string, Delivery[]>();
  for (const d of deliveries) byEvent.set(d.guid, [...(byEvent.get(d.guid) ?? []), d]);
  const plan: RecoveryPlan = { redeliver: [], recorded: [], givenUp: [], overLimit: [] };
  const candidates: Delivery[] = [];
  for (const [guid, attempts] of byEvent) {
    if (attempts.some((a) => delivered(a.statusCode))) continue;
    if (recordedGuids.has(guid)) plan.recorded.push(guid);
    else if (attempts.length >= limits.maxAttemptsPerEvent) plan.givenUp.push(guid);
    else candidates.push(latest(attempts));
  }
  candidates.sort((a, b) => a.deliveredAt.getTime() - b.deliveredAt.getTime());
  plan.redeliver = candidates.slice(0, limits.maxRedeliveries);
  plan.overLimit = candidates.slice(limits.maxRedeliveries).map((d) => d.guid);
  return plan;
}

/** The failed events among these deliveries (for the lookup of what ci-medic recorded). */
export function failedGuids(deliveries: readonly Delivery[]): string[] {
  const ok = new Set(deliveries.filter((d) => delivered(d.statusCode)).map((d) => d.guid));
  return [...new Set(deliveries.filter((d) => !ok.has(d.guid)).map((d) => d.guid))];
}

function latest(attempts: Delivery[]): Delivery {
  return attempts.reduce((a, b) => (b.deliveredAt > a.deliveredAt ? b : a));
}
