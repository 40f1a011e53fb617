import type { Runtime } from "../runtime.js";
import { isStale } from "./claims.js";

// The first proposal of a fix takes a model call of tens of seconds, and until it is shown every `/approve` (or press of
// the button) would ask for one more. So one request at a time prepares it: it claims the fix (Fix.proposingBy) with a
// conditional update before the model is asked, and gives the claim back once its proposal is done. Meanwhile:
// - another request without a hint is told who is preparing it, and asks nothing;
// - a request with a hint explicitly asks for a new proposal: it takes the claim over whoever holds it, and the
//   proposal being prepared is not shown when it is ready (propose-change.ts), so the thread ends with the hinted one;
// - a stale claim (its job gone for good, claims.ts) is taken over by the next request.

/**
 * `held`: another request prepares it (`by`: who asked, if known). `moved-on`: the fix is no longer waiting for a first
 * proposal (pushed meanwhile, or ended), so nothing is being prepared.
 */
export type FirstProposalClaim =
  | { kind: "claimed" | "resumed" | "took-over" }
  | { kind: "held"; by: string | null }
  | { kind: "moved-on" };

export async function claimFirstProposal(
  rt: Runtime,
  fixId: number,
  request: { key: string; login: string; hint: boolean },
): Promise<FirstProposalClaim> {
  const mine = { proposingBy: request.key, proposingActor: request.login };
  // A few rounds: a claim given back between our read and our update is free on the next read.
  for (let round = 0; round < 3; round++) {
    const fix = await rt.db.fix.findUniqueOrThrow({ where: { id: fixId } });
    if (fix.state !== "proposed") return { kind: "moved-on" };
    const held = fix.proposingBy;
    let expected: { proposingBy: string | null; updatedAt?: Date };
    let kind: "claimed" | "resumed" | "took-over";
    if (held === request.key) {
      // A retry of this request's job: the update renews the claim (its `updatedAt`), so it is not stale while its
      // holder lives, and fails if it was taken over meanwhile.
      [expected, kind] = [{ proposingBy: held }, "resumed"];
    } else if (held === null) {
      [expected, kind] = [{ proposingBy: null }, "claimed"];
    } else if (request.hint) {
      [expected, kind] = [{ proposingBy: held }, "took-over"];
    } else if (isStale(fix.updatedAt, rt.settings.jobLeaseMs)) {
      [expected, kind] = [{ proposingBy: held, updatedAt: fix.updatedAt }, "took-over"];
    } else {
      return { kind: "held", by: fix.proposingActor };
    }
    const { count } = await rt.db.fix.updateMany({
      where: { id: fixId, state: "proposed", ...expected },
      data: mine,
    });
    if (count === 1) return { kind };
    if (kind === "resumed") break; // taken over while this job waited to be retried: the newer request goes on
  }
  const now = await rt.db.fix.findUniqueOrThrow({ where: { id: fixId } });
  if (now.state !== "proposed") return { kind: "moved-on" };
  return { kind: "held", by: now.proposingActor };
}

/** Given back when this request's first proposal is done (shown, refused, none, or over the LLM limits). */
export async function releaseFirstProposal(rt: Runtime, fixId: number, key: string): Promise<void> {
  await rt.db.fix.updateMany({
    where: { id: fixId, proposingBy: key },
    data: { proposingBy: null, proposingActor: null },
  });
}

export async function holdsFirstProposal(rt: Runtime, fixId: number, key: string): Promise<boolean> {
  const fix = await rt.db.fix.findUnique({ where: { id: fixId }, select: { proposingBy: true } });
  return fix?.proposingBy === key;
}
